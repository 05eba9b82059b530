import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, freeUdpPort, ServerProcess } from './server-process.js';

/** The compiled gateway entry point (`npm run build` or the bench's own build makes it). */
export const GATEWAY_MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

const LOOPBACK = '127.0.0.1';

/** A gateway in a child process, as `npm run start:prod` runs it, on free ports of 127.0.0.1. */
export interface GatewayChild {
  readonly process: ServerProcess;
  readonly httpPort: number;
  readonly storageDir: string;
  /** The Prometheus text of `GET /metrics`. */
  metrics(): Promise<string>;
  /** The value of one sample of `/metrics` (a name with its labels, as printed), summed when several match. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Path of the CPU profile written at exit, when profiling. */
  readonly cpuProfileDir: string | undefined;
}

/** Settings every benchmark gateway gets before its own: the environment of `npm run start:prod` and the image. */
const BASE_SETTINGS = {
  NODE_ENV: 'production',
  // libuv's io_uring file I/O off, as `npm run start:prod` and the Docker image run the gateway.
  UV_USE_IO_URING: '0',
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'warn',
  UDP_HOST: LOOPBACK,
  HTTP_HOST: LOOPBACK,
  // Stop at once when the bench is done with it.
  SHUTDOWN_GRACE_MS: '0',
};

/**
 * Starts `node dist/src/main.js` with the given settings over the benchmark's (as in production,
 * with JSON logs at warn level to a file, loopback ports, its own storage folder under `workDir`); ready once it answers
 * a ping. With `profile`, the child runs under `--cpu-prof` and writes its profile into `workDir`
 * when stopped.
 */
export async function startGatewayChild(
  name: string,
  workDir: string,
  settings: Record<string, string>,
  profile = false,
): Promise<GatewayChild> {
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: build first (npm run build)`);
  await mkdir(workDir, { recursive: true });
  const udpPort = await freeUdpPort(LOOPBACK);
  const httpPort = await freeTcpPort(LOOPBACK);
  const storageDir = join(workDir, 'images');
  const cpuProfileDir = profile ? join(workDir, 'cpu-profile') : undefined;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...BASE_SETTINGS,
    UDP_PORT: String(udpPort),
    HTTP_PORT: String(httpPort),
    STORAGE_DIR: storageDir,
    ...settings,
  };
  const child = await ServerProcess.start({
    name,
    script: [GATEWAY_MAIN],
    nodeFlags: cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [],
    env,
    logPath: join(workDir, 'gateway.log'),
    udp: { address: LOOPBACK, port: udpPort },
  });
  const metrics = async (): Promise<string> => {
    const response = await fetch(`http://${LOOPBACK}:${httpPort}/metrics`);
    return response.text();
  };
  return {
    process: child,
    httpPort,
    storageDir,
    cpuProfileDir,
    metrics,
    async metric(metricName, labels = {}) {
      return sumSamples(await metrics(), metricName, labels);
    },
  };
}

/** Sums the samples of metric `name` whose labels include `labels`, in Prometheus text. */
export function sumSamples(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => present.includes(`${key}="${value}"`)))
      total += Number(match[3]);
  }
  return total;
}
