/**
 * The classifier process, started by the gateway's `ClassifierSupervisor` with an IPC channel:
 * every one of its threads at a lower priority, it loads the model into its worker threads, then
 * classifies what the gateway sends and what the backlog scan finds, and records each analysis
 * (see `AnalysisRunner`). It never outlives the gateway: when the channel closes it exits.
 */
import { systemClock } from '../common/clock.js';
import { ImageStore } from '../storage/image-store.js';
import type { ClassifierSettings, FromClassifier, ToClassifier } from './analysis-protocol.js';
import { AnalysisRunner } from './analysis-runner.js';
import { BackgroundPriority, useIdleSchedulingPolicy } from './background-priority.js';
import { ClassifierPool } from './classifier-pool.js';

function send(message: FromClassifier): void {
  if (process.connected) process.send!(message);
}

// The gateway decides when this process stops: a signal meant for the gateway (Ctrl-C reaches
// the whole process group) must not stop it before the gateway has drained it.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
// The gateway is gone (crashed, killed): nothing to work for, and nobody to report to.
process.on('disconnect', () => process.exit(0));

let runner: AnalysisRunner | undefined;
let stopping = false;

async function start(
  settings: ClassifierSettings,
  giveUp: Extract<ToClassifier, { type: 'start' }>['giveUp'],
) {
  // First, before the workers and their threads exist: they start with this thread's priority.
  new BackgroundPriority(settings.nice, true).start();
  const notIdle = settings.idlePolicy ? useIdleSchedulingPolicy() : undefined;
  if (notIdle) {
    send({
      type: 'log',
      level: 'warn',
      entry: {
        msg: 'SCHED_IDLE unavailable: the classifier process runs at its niceness only',
        reason: notIdle,
      },
    });
  }
  const pool = new ClassifierPool({
    models: settings.models,
    backend: settings.backend,
    workers: settings.workers,
    queueMax: settings.queueMax,
    batchMax: settings.batchMax,
    onStarted: (imagePaths) => runner?.started(imagePaths),
    onShadowFailure: (message) =>
      send({
        type: 'log',
        level: 'error',
        entry: { msg: 'shadow model not loaded: the active model runs alone', error: message },
      }),
  });
  try {
    await pool.start();
  } catch (error) {
    send({ type: 'load-failed', message: (error as Error).message });
    process.disconnect();
    return;
  }
  runner = new AnalysisRunner(
    settings,
    pool,
    new ImageStore(settings.storageDir, systemClock),
    systemClock,
    send,
  );
  send({ type: 'ready', models: pool.models! });
  await runner.giveUp(giveUp);
  runner.rescan();
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await runner?.stop();
  process.exit(0);
}

process.on('message', (message: ToClassifier) => {
  switch (message.type) {
    case 'start':
      void start(message.settings, message.giveUp);
      break;
    case 'analyse':
      runner?.analyse(message.images);
      break;
    case 'rescan':
      runner?.rescan();
      break;
    case 'use-models':
      if (runner) void runner.useModels(message.requestId, message.models);
      else send({ type: 'models-refused', requestId: message.requestId, message: 'classifier not started' });
      break;
    case 'stop':
      void stop();
      break;
  }
});
// Only now: a message that arrives before its listener is lost.
send({ type: 'listening' });
