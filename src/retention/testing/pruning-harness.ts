import { Pruner, type PassReport, type PrunePass, type RemovedListener } from '../pruner.js';
import { DAY_MS, type ImageKind, type RetentionPolicy } from '../retention-policy.js';
import { imageNameOf } from '../../storage/store-layout.js';
import type { ImageRef } from '../retention-store.js';
import type { RoomTargets } from '../room-targets.js';
import { StoreTotals } from '../store-totals.js';
import { ModelStore } from './model-store.js';

/** The image reference `ImageStore` would give an image accepted at `acceptedAt` into folder `device`. */
export function refAt(acceptedAt: number, device: string, transferId: string): ImageRef {
  const { day, stem } = imageNameOf(acceptedAt, 0, '', transferId);
  return { day, device, stem };
}

export const DEFAULT_POLICY: RetentionPolicy = {
  maxAgeMs: 30 * DAY_MS,
  keptLongerMaxAgeMs: 90 * DAY_MS,
  pendingDays: 7,
};

export const NO_ROOM_LIMITS: RoomTargets = {
  capBytes: Infinity,
  slackBytes: 0,
  minFreeBytes: 0,
  diskSlackBytes: 0,
};

/**
 * A pruner over a model store whose totals always match it (as the scan and the `stored` events
 * keep them), for specs: add images, run passes to their end.
 */
export class PruningHarness {
  readonly totals = new StoreTotals();
  readonly pruner: Pruner;
  private nextId = 0;

  constructor(
    readonly store: ModelStore,
    readonly policy: RetentionPolicy = DEFAULT_POLICY,
    public targets: RoomTargets = NO_ROOM_LIMITS,
    onRemoved?: RemovedListener,
  ) {
    this.totals.markScanComplete();
    this.pruner = new Pruner(store, this.totals, policy, onRemoved);
  }

  add(acceptedAt: number, device: string, kind: ImageKind, bytes = 1000): ImageRef {
    const ref = refAt(acceptedAt, device, (this.nextId++).toString(16).padStart(12, '0'));
    this.store.add(ref, kind, bytes);
    this.totals.add(ref.day, ref.device, bytes, ref.stem);
    return ref;
  }

  /** What the classifier or a person writes into a sidecar. */
  setKind(ref: ImageRef, kind: ImageKind): void {
    this.store.get(ref)!.kind = kind;
    this.totals.resize(ref.day, ref.device, 0, kind, ref.stem);
  }

  /** One whole pass at `now`. */
  pass(now: number): PassReport {
    return this.run(now).report();
  }

  /**
   * A pass when room is wanted, as the retention thread does after each stored image; its report
   * when it removed images or could not make room (the passes the thread logs).
   */
  passIfRoomWanted(now: number): PassReport | undefined {
    return this.pruner.roomNeeded(this.targets) ? this.loggedPass(now) : undefined;
  }

  /** One whole pass at `now`, with its report when the thread would log it. */
  loggedPass(now: number): PassReport | undefined {
    const pass = this.run(now);
    return pass.removed > 0 || pass.unmet ? pass.report() : undefined;
  }

  private run(now: number): PrunePass {
    const pass = this.pruner.startPass(now, this.targets);
    while (!pass.step(1000));
    return pass;
  }
}
