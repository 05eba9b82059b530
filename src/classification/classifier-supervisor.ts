import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { FromClassifier, ToClassifier } from './analysis-protocol.js';
import { ModelLoadError } from './classifier-pool.js';
import type { ModelInfo, WorkerModels } from './worker-protocol.js';

/** How the supervisor restarts a classifier process that died. */
export interface RestartPolicy {
  /** Wait before the first restart; it doubles with each restart in a row. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** A process that stayed up this long resets the delay to `firstDelayMs`. */
  readonly stableMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = Object.freeze({
  firstDelayMs: 500,
  maxDelayMs: 30_000,
  stableMs: 60_000,
});

/** After `stop`, how long the process may take to finish what it records before it is killed. */
const STOP_TIMEOUT_MS = 2000;

/** The compiled entry point of the classifier process. */
const ENTRY = fileURLToPath(new URL('./classifier.process.js', import.meta.url));

export interface SupervisorEventMap {
  /** A process loaded its model and takes work. */
  up: [model: ModelInfo, restarts: number];
  /** The process died; `restartInMs`: when the next one starts. */
  down: [reason: string, restartInMs: number];
  message: [message: FromClassifier];
}

/**
 * Runs the classifier in a child process of its own (its CPU at a lower priority, its memory out
 * of the gateway's), and keeps one running: a process that dies is logged by the caller (`down`)
 * and started again after a delay that doubles while it keeps dying. The process exits by itself
 * when the gateway's IPC channel closes (the gateway crashed or was killed), so none outlives it.
 */
export class ClassifierSupervisor extends EventEmitter<SupervisorEventMap> {
  private child: ChildProcess | undefined;
  private currentModels: WorkerModels | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarts = 0;
  private delayMs: number;
  private upSince = 0;
  /** Only a process that once worked is restarted: a first start that fails stops start-up. */
  private everUp = false;
  private closed = false;

  /**
   * @param startMessage the `start` message for each process, made when it starts (a restart
   *   carries the images to give up on).
   */
  constructor(
    private readonly startMessage: () => Extract<ToClassifier, { type: 'start' }>,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {
    super();
    this.delayMs = policy.firstDelayMs;
  }

  /** The active model of the running process; undefined while none is running. */
  get model(): ModelInfo | undefined {
    return this.currentModels?.active;
  }

  /** The models of the running process (the shadow one too, when there is one). */
  get models(): WorkerModels | undefined {
    return this.currentModels;
  }

  get pid(): number | undefined {
    return this.currentModels ? this.child?.pid : undefined;
  }

  /**
   * Starts the first process and resolves with its model; rejects with `ModelLoadError` when it
   * cannot load it (nothing is restarted then: start-up fails).
   */
  start(): Promise<ModelInfo> {
    return this.spawn();
  }

  /** Sends to the running process; false when none runs (the message is dropped). */
  send(message: ToClassifier): boolean {
    const child = this.child;
    if (!this.currentModels || !child?.connected) return false;
    child.send(message);
    return true;
  }

  /** Asks the process to finish and exit, kills it after a short wait, and restarts none. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' } satisfies ToClassifier);
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(killer);
  }

  private spawn(): Promise<ModelInfo> {
    const child = fork(ENTRY, [], {
      // Not the gateway's flags (a test runner's, a profiler's): source maps only, for stack traces.
      execArgv: process.execArgv.filter((flag) => flag === '--enable-source-maps'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    return new Promise<ModelInfo>((resolve, reject) => {
      let ready = false;
      /** Why it failed to start, told before it exits: the start fails once it is gone. */
      let failure: ModelLoadError | undefined;
      child.on('message', (message: FromClassifier) => {
        if (message.type === 'listening') {
          child.send(this.startMessage());
        } else if (message.type === 'ready') {
          ready = true;
          this.everUp = true;
          this.currentModels = message.models;
          this.upSince = Date.now();
          resolve(message.models.active);
          this.emit('up', message.models.active, this.restarts);
        } else if (message.type === 'load-failed') {
          failure = new ModelLoadError(message.message);
          // It exits by itself; one that does not is made to.
          setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS).unref();
        } else {
          if (message.type === 'models-used') this.currentModels = message.models;
          this.emit('message', message);
        }
      });
      // Failing to start, or a message sent as it died: its exit follows and is handled there.
      child.on('error', (error) => {
        failure ??= new ModelLoadError(`classifier process: ${error.message}`);
        // Never started: no exit is coming.
        if (child.pid === undefined) reject(failure);
      });
      child.once('exit', (code, signal) => {
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!ready)
          reject(
            failure ?? new ModelLoadError(`classifier process exited (${how}) before loading the model`),
          );
        this.onExit(child, `classifier process exited (${how})`);
      });
    });
  }

  private onExit(child: ChildProcess, reason: string): void {
    if (this.child !== child) return;
    const wasUp = this.currentModels !== undefined;
    this.currentModels = undefined;
    this.child = undefined;
    if (this.closed || !this.everUp) return;
    if (wasUp && Date.now() - this.upSince >= this.policy.stableMs) this.delayMs = this.policy.firstDelayMs;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.policy.maxDelayMs, this.delayMs * 2);
    this.emit('down', reason, delay);
    this.restartTimer = setTimeout(() => {
      if (this.closed) return;
      this.restarts++;
      // A restart that fails is logged through `down` when its process exits, and retried.
      this.spawn().catch(() => undefined);
    }, delay);
  }
}
