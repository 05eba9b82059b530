import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Endpoint } from '#camera-emulator';
import { PingClient } from './ping-client.js';
import { cpuTimeMs, residentBytes } from './process-stats.js';

/** How long a server child may take to answer its first ping (model loading included). */
const READY_TIMEOUT_MS = 90_000;

/** After SIGTERM, how long before SIGKILL (a CPU profile is written at exit). */
const STOP_TIMEOUT_MS = 20_000;

/** Lines of the child's log shown when it fails to start. */
const LOG_TAIL_LINES = 20;

/** Children still running: killed if the bench exits without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A free UDP port on `host` (bound, read, released). */
export function freeUdpPort(host: string): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** A free TCP port on `host`. */
export function freeTcpPort(host: string): Promise<number> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** How to start a server child. */
export interface ServerProcessOptions {
  /** For messages: `gateway (spool on)`, `baseline`. */
  readonly name: string;
  /** Script and its arguments, after node's own flags. */
  readonly script: readonly string[];
  /** Node flags (`--cpu-prof`, …). */
  readonly nodeFlags?: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Where its stdout and stderr go. */
  readonly logPath: string;
  /** Where it will answer pings once ready. */
  readonly udp: Endpoint;
}

/**
 * A UDP server in a child process of its own (so that its memory and CPU time are its own),
 * started and ready once it answers a ping `[0, id, 0]`.
 */
export class ServerProcess {
  private exited: Promise<number | null>;
  private alive = true;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly udp: Endpoint,
    private readonly logPath: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.alive = false;
        resolve(code);
      }),
    );
  }

  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const log = openSync(options.logPath, 'a');
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...options.script], {
      env: options.env,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    const server = new ServerProcess(options.name, child, options.udp, options.logPath);
    const pinger = await PingClient.open(options.udp);
    try {
      const ready = await pinger.waitUntilAnswering(READY_TIMEOUT_MS, () => server.alive);
      if (!ready) {
        await server.stop();
        throw new Error(`${options.name} did not start (log ${options.logPath}):\n${server.logTail()}`);
      }
    } finally {
      await pinger.close();
    }
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resident memory now, in bytes. */
  rssBytes(): number | undefined {
    return residentBytes(this.pid);
  }

  /** CPU time used so far, every thread, in milliseconds. */
  cpuMs(): number | undefined {
    return cpuTimeMs(this.pid);
  }

  /** The last lines of its log. */
  logTail(): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited in time. Resolves with its exit code. */
  async stop(): Promise<number | null> {
    if (!this.alive) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
