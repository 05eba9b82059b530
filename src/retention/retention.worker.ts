/**
 * The retention thread: the start-up scan and the pruning passes run here, with blocking file
 * system calls that block no event loop and leave libuv's thread pool to the image writes. It
 * lowers its own priority (Linux keeps niceness per thread), so the event loop answering the
 * cameras gets the cores first.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { RetentionEngine } from './retention-engine.js';
import type { FromRetentionWorker, RetentionWorkerData, ToRetentionWorker } from './worker-messages.js';

/** Work done between two looks at the messages: a stored image waits at most about this long to be counted. */
const SLICE_MS = 20;

/** How often the age limits are applied (and the passes they start logged). */
const AGE_PASS_INTERVAL_MS = 10 * 60_000;

/**
 * How often free space is looked at between stored images: other files (the spool, logs) fill
 * the disk too.
 */
const FREE_SPACE_CHECK_MS = 250;

const data = workerData as RetentionWorkerData;
const port = parentPort!;
if (data.nice > 0) {
  try {
    setPriority(0, data.nice);
  } catch {
    // Not allowed here: the thread keeps the process's priority.
  }
}

const post = (message: FromRetentionWorker) => port.postMessage(message);
const engine = new RetentionEngine(data, post);
let scheduled = false;
let stopped = false;

function run(): void {
  scheduled = false;
  if (stopped) return;
  let more: boolean;
  try {
    more = engine.work(SLICE_MS);
  } catch (error) {
    post({ type: 'failed', message: (error as Error).stack ?? String(error) });
    more = false;
  }
  if (more) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(run);
}

const ageTimer = setInterval(() => {
  engine.ageCheckDue();
  schedule();
}, AGE_PASS_INTERVAL_MS);
const freeSpaceTimer = setInterval(schedule, FREE_SPACE_CHECK_MS);

port.on('message', (message: ToRetentionWorker) => {
  if (message.type === 'stop') {
    stopped = true;
    clearInterval(ageTimer);
    clearInterval(freeSpaceTimer);
    post({ type: 'stopped' });
    port.close();
    return;
  }
  engine.handle(message);
  schedule();
});

engine.start();
schedule();
