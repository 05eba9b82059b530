/**
 * Worker thread of the http-load section: keeps `concurrency` HTTP requests in flight against
 * one URL (each connection asks again as soon as its answer is read) until told to stop, or
 * `maxMs` passed. Runs apart from the bench's main thread, so that the pings timed there are not
 * delayed by the load generator's own work.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface HttpLoadWorkerData {
  readonly url: string;
  readonly concurrency: number;
  /** Upper bound of the run, whatever the main thread says. */
  readonly maxMs: number;
}

export interface HttpLoadReport {
  readonly completed: number;
  readonly failed: number;
  readonly bytes: number;
  /** Round trip of every completed request, in milliseconds. */
  readonly latenciesMs: number[];
  readonly wallMs: number;
  /** Status codes seen, with counts. */
  readonly statuses: Record<string, number>;
}

const { url, concurrency, maxMs } = workerData as HttpLoadWorkerData;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const startedAt = performance.now();
const deadline = startedAt + maxMs;
let stopping = false;
let completed = 0;
let failed = 0;
let bytes = 0;
const latenciesMs: number[] = [];
const statuses: Record<string, number> = {};

parentPort!.on('message', (message: unknown) => {
  if (message === 'stop') stopping = true;
});

function once(): Promise<void> {
  return new Promise((resolve) => {
    const sentAt = performance.now();
    const req = request(url, { agent }, (res) => {
      statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        completed++;
        latenciesMs.push(performance.now() - sentAt);
        resolve();
      });
      res.on('error', () => {
        failed++;
        resolve();
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      failed++;
      resolve();
    });
    req.end();
  });
}

async function loop(): Promise<void> {
  while (!stopping && performance.now() < deadline) await once();
}

await Promise.all(Array.from({ length: concurrency }, () => loop()));
agent.destroy();
parentPort!.postMessage({
  completed,
  failed,
  bytes,
  latenciesMs,
  wallMs: performance.now() - startedAt,
  statuses,
} satisfies HttpLoadReport);
