import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { childProcessIds } from '../../bench/src/process-stats.js';
import type { ClassifierSettings, ToClassifier } from './analysis-protocol.js';
import { ModelLoadError } from './classifier-pool.js';
import { singleModel } from './worker-protocol.js';
import { ClassifierSupervisor } from './classifier-supervisor.js';
import { writeTinyModel } from './testing-model.js';

const LABELS = ['good', 'kink'];

/** Linux's number of the SCHED_IDLE policy, as /proc/<pid>/stat gives it. */
const SCHED_IDLE = 5;

/** The scheduling policy of every thread of process `pid` (field 41 of each thread's stat). */
function policies(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((thread) => {
    const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
  });
}

/** Whether process `pid` is gone (or a zombie waiting to be reaped). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return false;
}

describe('ClassifierSupervisor (a real classifier process)', () => {
  let dir: string;
  let settings: ClassifierSettings;
  const startMessage =
    (overrides: Partial<ClassifierSettings> = {}) =>
    (): Extract<ToClassifier, { type: 'start' }> => ({
      type: 'start',
      settings: { ...settings, ...overrides },
      giveUp: [],
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'supervisor-'));
    await writeTinyModel(join(dir, 'model'), LABELS);
    settings = {
      models: singleModel(join(dir, 'model')),
      backend: 'wasm',
      storageDir: join(dir, 'images'),
      workers: 1,
      queueMax: 4,
      batchMax: 4,
      passLabels: 'good',
      confidenceThreshold: 0.5,
      backlogDays: 1,
      nice: 5,
      idlePolicy: true,
    };
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the process, which loads the model and runs every thread under SCHED_IDLE, at the niceness asked', async () => {
    const supervisor = new ClassifierSupervisor(startMessage());
    try {
      const model = await supervisor.start();
      assert.deepEqual(model.labels, LABELS);
      assert.equal(supervisor.model, model);
      const pid = supervisor.pid!;
      assert.notEqual(pid, process.pid);
      assert.ok(getPriority(pid) >= 5, 'its main thread');
      const threads = policies(pid);
      assert.ok(threads.length > 4, 'V8, libuv and the worker each have threads');
      assert.deepEqual(new Set(threads), new Set([SCHED_IDLE]), 'every thread, those made before and after');
    } finally {
      await supervisor.close();
    }
  });

  it('restarts a killed process after a delay that doubles while it keeps dying', async () => {
    const supervisor = new ClassifierSupervisor(startMessage(), {
      firstDelayMs: 50,
      maxDelayMs: 1000,
      stableMs: 60_000,
    });
    try {
      await supervisor.start();
      const delays: number[] = [];
      for (let kill = 1; kill <= 2; kill++) {
        const pid = supervisor.pid!;
        const down = once(supervisor, 'down');
        process.kill(pid, 'SIGKILL');
        const [reason, restartInMs] = (await down) as [string, number];
        assert.match(reason, /SIGKILL/);
        assert.equal(supervisor.model, undefined, 'no model while it is down');
        assert.equal(supervisor.send({ type: 'rescan' }), false, 'nothing to send to');
        delays.push(restartInMs);
        const [, restarts] = (await once(supervisor, 'up')) as [unknown, number];
        assert.equal(restarts, kill);
        assert.notEqual(supervisor.pid, pid, 'a new process');
        assert.ok(processGone(pid));
      }
      assert.deepEqual(delays, [50, 100]);
    } finally {
      await supervisor.close();
    }
  });

  it('fails to start with an error naming the model path, and leaves no process behind', async () => {
    const supervisor = new ClassifierSupervisor(startMessage({ models: singleModel(join(dir, 'nowhere')) }));
    const childrenBefore = childProcessIds(process.pid).length;
    let restarted = false;
    supervisor.on('up', () => (restarted = true));
    await assert.rejects(supervisor.start(), (error: unknown) => {
      assert.ok(error instanceof ModelLoadError);
      assert.match(error.message, /nowhere/);
      return true;
    });
    assert.equal(childProcessIds(process.pid).length, childrenBefore, 'it has exited when the start fails');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(restarted, false, 'a first start that fails is not retried');
    assert.equal(supervisor.pid, undefined);
  });

  it('stops the process on close and starts no other', async () => {
    const supervisor = new ClassifierSupervisor(startMessage(), {
      firstDelayMs: 10,
      maxDelayMs: 10,
      stableMs: 60_000,
    });
    await supervisor.start();
    const pid = supervisor.pid!;
    let downs = 0;
    supervisor.on('down', () => downs++);
    await supervisor.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(processGone(pid));
    assert.equal(downs, 0, 'a stop asked for is not a death');
    assert.equal(supervisor.model, undefined);
  });
});
