import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BackgroundPriority } from './background-priority.js';

function threads(): number[] {
  return readdirSync('/proc/self/task').map(Number);
}

describe('BackgroundPriority (Linux threads of this process)', () => {
  it('lowers every thread but the main one, including a worker started later, and leaves the main one', async () => {
    const priority = new BackgroundPriority(7);
    const before = new Set(threads());
    const mainBefore = getPriority(process.pid);
    assert.ok(priority.sweep() > 0, 'V8 and libuv threads exist from the start');
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    try {
      await new Promise((resolve) => worker.once('online', resolve));
      const started = threads().filter((thread) => !before.has(thread));
      assert.ok(started.length > 0, 'the worker is a thread of its own');
      assert.ok(priority.sweep() >= 1);
      for (const thread of threads()) {
        if (thread !== process.pid) assert.ok(getPriority(thread) >= 7, `thread ${thread}`);
      }
      assert.equal(getPriority(process.pid), mainBefore);
      assert.equal(priority.sweep(), 0, 'nothing left to lower');
    } finally {
      await worker.terminate();
    }
  });

  it('lowers the main thread too when asked, as the classifier process does', () => {
    // The last test of the file: niceness is never raised back without privilege.
    const priority = new BackgroundPriority(9, true);
    priority.sweep();
    for (const thread of threads()) assert.ok(getPriority(thread) >= 9, `thread ${thread}`);
  });
});
