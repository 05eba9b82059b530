import { parentPort, workerData } from 'node:worker_threads';
import { drawSchedule } from './schedule.js';
import { runSchedule, type ScheduleOutcome } from './run-schedule.js';

/** What a worker is asked to run: `count` seeds from `first`, `concurrency` at a time. */
export interface ScheduleBatch {
  readonly first: number;
  readonly count: number;
  readonly concurrency: number;
}

/** What a worker answers: one outcome per seed. */
export type BatchResult = ScheduleOutcome[];

async function runBatch({ first, count, concurrency }: ScheduleBatch): Promise<BatchResult> {
  const outcomes: ScheduleOutcome[] = [];
  let next = first;
  const lane = async (): Promise<void> => {
    while (next < first + count) outcomes.push(await runSchedule(drawSchedule(next++)));
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return outcomes.sort((a, b) => a.seed - b.seed);
}

if (parentPort && workerData) {
  const port = parentPort;
  runBatch(workerData as ScheduleBatch).then(
    (outcomes) => port.postMessage(outcomes),
    (error: unknown) =>
      port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
}
