/**
 * `npm run models -- <command>`: the models of a running gateway, from a terminal, through its API
 * (what `/api/models` does, for scripts and people without a browser); `--offline` records a choice
 * in MODELS_DIR for a gateway that is stopped (it loads the model first, as the gateway would).
 */
import { parseArgs } from 'node:util';
import { loadModel, selectBackend } from '#vision';
import { ModelCatalog, previousModel } from '../../../src/classification/model-catalog.js';

const USAGE = `Usage: npm run models -- <command> [--gateway <url>] [--json]

  list               the models, which one is active, which one shadows it, what a rollback activates
  activate <name>    make <name> the active model (no restart; the choice survives one)
  rollback           activate the model that was active before the current one
  shadow <name>      run <name> beside the active model: recorded, never pushed nor published
  shadow --off       stop shadow mode
  compare            agreement of the active and shadow models, and each one's accuracy on reviewed images

  --gateway url      the gateway's HTTP side (default http://127.0.0.1:$HTTP_PORT, 3000)
  --json             print the API's answer as it is
  --offline          (activate, rollback) record the choice in MODELS_DIR for a stopped gateway;
                     --models-dir (default $MODELS_DIR, ./models) and MODEL_DIR as the gateway reads them`;

interface Listing {
  readonly active: string | null;
  readonly shadow: string | null;
  readonly previous: string | null;
  readonly running: { active: { name: string; modelId: string }; shadow: { name: string } | null } | null;
  readonly models: readonly {
    name: string;
    active: boolean;
    shadow: boolean;
    trainedAt: string | null;
    heldOutAccuracy: number | null;
    builtIn: boolean;
  }[];
}

class CommandError extends Error {}

async function call<T>(gateway: string, method: string, path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${gateway}${path}`, { method });
  } catch (error) {
    throw new CommandError(
      `no gateway at ${gateway} (${(error as Error).message}); --offline for a stopped one`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as T & { message?: string };
  if (!response.ok) throw new CommandError(`${response.status}: ${body.message ?? response.statusText}`);
  return body;
}

function describe(listing: Listing): string {
  const lines = listing.models.map((model) => {
    const marks = [
      model.active ? 'active' : '',
      model.shadow ? 'shadow' : '',
      model.builtIn ? 'built in' : '',
    ]
      .filter(Boolean)
      .join(', ');
    const accuracy =
      model.heldOutAccuracy === null ? '' : ` held-out ${(100 * model.heldOutAccuracy).toFixed(1)} %`;
    const trained = model.trainedAt === null ? '' : ` trained ${model.trainedAt.slice(0, 10)}`;
    return `${model.active ? '*' : ' '} ${model.name}${marks ? ` (${marks})` : ''}${trained}${accuracy}`;
  });
  const running = listing.running
    ? `running: ${listing.running.active.name} (${listing.running.active.modelId})` +
      (listing.running.shadow ? `, shadow ${listing.running.shadow.name}` : '')
    : 'running: none (classifier down or analysis disabled)';
  return [...lines, running, `previous: ${listing.previous ?? 'none'}`].join('\n');
}

/** Records `name` as the active model of a stopped gateway, once it loads. */
async function activateOffline(
  modelsDir: string,
  name: string | undefined,
  rollback: boolean,
): Promise<string> {
  const catalog = new ModelCatalog(modelsDir, process.env.MODEL_DIR ?? `${modelsDir}/default`);
  const state = await catalog.readState();
  const wanted = rollback ? previousModel(state) : name;
  if (!wanted) throw new CommandError('no previous model to roll back to');
  const source = await catalog.source(wanted);
  await selectBackend('auto');
  const model = await loadModel(source.dir).catch((error: Error) => {
    throw new CommandError(`${wanted} does not load, nothing recorded: ${error.message}`);
  });
  model.dispose();
  const current = state ? { active: await catalog.source(state.active) } : { active: catalog.fallback };
  const shadow = state?.shadow && state.shadow !== wanted ? await catalog.source(state.shadow) : undefined;
  await catalog.record({ active: source, shadow }, current);
  return `recorded ${wanted} as the active model in ${catalog.stateFile}: the gateway starts with it`;
}

async function runModelsCommand(argv: readonly string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      gateway: { type: 'string', default: `http://127.0.0.1:${process.env.HTTP_PORT ?? '3000'}` },
      json: { type: 'boolean', default: false },
      offline: { type: 'boolean', default: false },
      off: { type: 'boolean', default: false },
      'models-dir': { type: 'string', default: process.env.MODELS_DIR ?? './models' },
    },
    strict: true,
  });
  const [command, name] = positionals;
  const gateway = values.gateway.replace(/\/$/, '');
  const print = (answer: unknown, text: () => string) =>
    values.json ? JSON.stringify(answer, null, 2) : text();
  switch (command) {
    case 'list': {
      const listing = await call<Listing>(gateway, 'GET', '/api/models');
      return print(listing, () => describe(listing));
    }
    case 'activate':
    case 'rollback': {
      if (command === 'activate' && !name) throw new CommandError('activate needs a model name');
      if (values.offline) return activateOffline(values['models-dir'], name, command === 'rollback');
      let target: string | undefined = name;
      if (command === 'rollback') {
        target = (await call<Listing>(gateway, 'GET', '/api/models')).previous ?? undefined;
        if (!target) throw new CommandError('no previous model to roll back to');
      }
      const listing = await call<Listing>(
        gateway,
        'POST',
        `/api/models/${encodeURIComponent(target!)}/activate`,
      );
      return print(listing, () => `${target} is active\n${describe(listing)}`);
    }
    case 'shadow': {
      if (!values.off && !name) throw new CommandError('shadow needs a model name, or --off');
      const listing = values.off
        ? await call<Listing>(gateway, 'DELETE', '/api/models/shadow')
        : await call<Listing>(gateway, 'POST', `/api/models/${encodeURIComponent(name!)}/shadow`);
      return print(listing, () => describe(listing));
    }
    case 'compare': {
      const comparison = await call<unknown>(gateway, 'GET', '/api/models/compare');
      return JSON.stringify(comparison, null, 2);
    }
    default:
      throw new CommandError(command ? `unknown command ${command}` : 'a command is needed');
  }
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    console.log(await runModelsCommand(argv));
    return 0;
  } catch (error) {
    if (error instanceof CommandError) {
      console.error(error.message);
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
