import 'reflect-metadata';
import { ConfigurationError, validateEnvironment, type Environment } from './config/index.js';
import { startGateway } from './gateway.js';

/** Exit code for a configuration that does not validate. */
const EXIT_BAD_CONFIGURATION = 2;

function readEnvironment(): Environment {
  try {
    return validateEnvironment(process.env);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    console.error(error.message);
    process.exit(EXIT_BAD_CONFIGURATION);
  }
}

async function main(): Promise<void> {
  const gateway = await startGateway(readEnvironment());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // A second signal while draining stops at once.
      process.once(signal, () => process.exit(1));
      gateway.stop(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('shutdown failed:', error);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  console.error('cable-inspector failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
