import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { Endpoint } from '#camera-emulator';

/** A free port on 127.0.0.1 for `kind`, found by binding port 0 and letting it go. */
export async function freePort(kind: 'udp' | 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The gateway as its own process (`node dist/src/main.js`), as it runs in production, so a test
 * can kill it with SIGKILL and start it again on the same ports and disk.
 */
export class GatewayProcess {
  private child: ChildProcess | undefined;
  /** Everything the process wrote, across restarts. */
  output = '';

  private constructor(
    readonly udp: Endpoint,
    readonly httpPort: number,
    private readonly env: Record<string, string>,
  ) {}

  static async create(settings: Record<string, string>): Promise<GatewayProcess> {
    const udp = { address: '127.0.0.1', port: await freePort('udp') };
    const httpPort = await freePort('tcp');
    return new GatewayProcess(udp, httpPort, {
      UDP_HOST: '127.0.0.1',
      UDP_PORT: String(udp.port),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      ANALYSIS_ENABLED: 'false',
      // As in test/support/gateway.ts: a share of the CPU for the classifier on a busy machine.
      CLASSIFIER_IDLE_POLICY: 'false',
      // As `npm start` and the Docker image run it.
      UV_USE_IO_URING: '0',
      ...settings,
    });
  }

  /** Starts the process and resolves once /health/ready answers 200. */
  async start(timeoutMs = 15_000): Promise<void> {
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${this.output}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.httpPort}/health/ready`);
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Not left running: a child still attached to the test's process keeps the test file, and so
    // the whole run, from ever ending.
    await this.kill();
    throw new Error(`gateway not ready after ${timeoutMs} ms:\n${this.output}`);
  }

  /** SIGKILL: no drain, no cleanup, exactly what a crash or an OOM kill does. */
  kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGTERM, and the exit code once the process has drained and exited. */
  terminate(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return Promise.resolve(child?.exitCode ?? null);
    return new Promise((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}
