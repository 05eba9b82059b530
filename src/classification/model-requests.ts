import type { FromClassifier } from './analysis-protocol.js';
import type { ClassifierSupervisor } from './classifier-supervisor.js';
import type { ModelChoice, WorkerModels } from './worker-protocol.js';

/** Why the classifier does not run the models asked for (the ones in use keep running). */
export class ModelSwapError extends Error {
  override readonly name = 'ModelSwapError';
  constructor(
    /** `disabled`: ANALYSIS_ENABLED=false; `unavailable`: the classifier process is down; `refused`: a model did not load. */
    readonly reason: 'disabled' | 'unavailable' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  readonly choice: ModelChoice;
  readonly resolve: (models: WorkerModels) => void;
  readonly reject: (error: ModelSwapError) => void;
}

/**
 * The models the classifier process runs, and the requests to run others: each `use-models` is
 * answered by the process (`models-used` once its new workers took over, `models-refused` when a
 * model did not load); a process that dies meanwhile fails the requests in flight. The choice is
 * what a restarted process starts with.
 */
export class ModelRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly supervisor: ClassifierSupervisor,
    /** The models a (re)started process loads. */
    public choice: ModelChoice,
  ) {}

  use(choice: ModelChoice): Promise<WorkerModels> {
    const requestId = this.nextId++;
    return new Promise<WorkerModels>((resolve, reject) => {
      this.pending.set(requestId, { choice, resolve, reject });
      if (!this.supervisor.send({ type: 'use-models', requestId, models: choice })) {
        this.pending.delete(requestId);
        reject(
          new ModelSwapError('unavailable', 'the classifier process is not running (restarting): try again'),
        );
      }
    });
  }

  /** Takes the process's answers; false for any other message. */
  handle(message: FromClassifier): boolean {
    if (message.type !== 'models-used' && message.type !== 'models-refused') return false;
    const pending = this.pending.get(message.requestId);
    if (!pending) return true;
    this.pending.delete(message.requestId);
    if (message.type === 'models-used') {
      this.choice = pending.choice;
      pending.resolve(message.models);
    } else pending.reject(new ModelSwapError('refused', message.message));
    return true;
  }

  /** The process died: what it was asked is not done (its restart runs `choice`). */
  down(reason: string): void {
    for (const pending of this.pending.values())
      pending.reject(new ModelSwapError('unavailable', `the classifier process died (${reason}): try again`));
    this.pending.clear();
  }
}
