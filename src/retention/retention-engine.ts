import { DiskStore } from './disk-store.js';
import { Pruner, type PrunePass } from './pruner.js';
import type { PruneReason } from './retention-policy.js';
import { imageIdOf, type ImageRef } from './retention-store.js';
import { roomTargetsFrom, type RoomTargets } from './room-targets.js';
import { StoreScan } from './store-scan.js';
import { StoreTotals } from './store-totals.js';
import type { FromRetentionWorker, RetentionWorkerData, ToRetentionWorker } from './worker-messages.js';

/** Images a pass removes (or looks at) between two checks of its time slice. */
const PASS_CHUNK = 32;

/** After a pass that could not make the room wanted, the next one for room waits this long. */
const UNMET_RETRY_MS = 10_000;

/** How often the scan tells how far it got. */
const SCAN_PROGRESS_MS = 5_000;

/**
 * Everything retention does, on its own thread: the start-up scan, the running totals, and the
 * pruning passes, in slices of work (`work`) between which the thread reads its messages. Results
 * go out through `post`, batched per slice.
 */
export class RetentionEngine {
  readonly totals = new StoreTotals();
  private readonly store: DiskStore;
  private readonly pruner: Pruner;
  private targets: RoomTargets | undefined;
  private fileSystemBytes: number | undefined;
  private scan: StoreScan | undefined;
  private scanStartedAt = 0;
  private lastProgressAt = 0;
  private waitingForFeed = false;
  private pass: PrunePass | undefined;
  private passStartedAt = 0;
  private ageDue = false;
  private lastUnmetAt = -Infinity;
  /** Days the scan had counted when a pass last ran out of images to remove while it ran. */
  private unmetAtDaysScanned = -1;
  private readonly removed = new Map<PruneReason, string[]>();
  private totalsChanged = true;

  constructor(
    private readonly data: RetentionWorkerData,
    private readonly post: (message: FromRetentionWorker) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.store = new DiskStore(data.root);
    this.pruner = new Pruner(this.store, this.totals, data.policy, (ref, reason) =>
      this.noteRemoved(ref, reason),
    );
  }

  /** Starts the scan; the first pass for age follows it. */
  start(): void {
    this.scan = new StoreScan(
      this.store,
      this.totals,
      this.data.startedAt,
      this.data.countedBefore,
      this.data.feedFound ? this.data.recordsFromDay : undefined,
    );
    this.scanStartedAt = performance.now();
    this.lastProgressAt = this.scanStartedAt;
  }

  handle(message: ToRetentionWorker): void {
    switch (message.type) {
      case 'stored': {
        const bytes = this.store.bytesOf(message);
        if (bytes === undefined) return;
        this.totals.add(message.day, message.device, bytes, message.stem);
        this.totalsChanged = true;
        break;
      }
      case 'updated': {
        const block = this.store.blockBytes();
        const rounded = (bytes: number) => Math.ceil(bytes / block) * block;
        this.totals.resize(
          message.day,
          message.device,
          rounded(message.after) - rounded(message.before),
          message.kind,
          message.stem,
        );
        this.totalsChanged = true;
        break;
      }
      case 'scan-more':
        this.waitingForFeed = false;
        break;
      case 'stop':
        break;
    }
  }

  /** A pass for age is due (the thread's timer says so). */
  ageCheckDue(): void {
    this.ageDue = true;
  }

  /** Works for about `sliceMs`; true while work is left (the caller comes back soon). */
  work(sliceMs: number): boolean {
    const deadline = performance.now() + sliceMs;
    do {
      if (this.scan && !this.waitingForFeed) this.scanStep();
      if (!this.pass) this.startPassIfDue();
      if (this.pass && this.pass.step(PASS_CHUNK)) this.finishPass();
    } while (this.busy && performance.now() < deadline);
    this.flush();
    return this.busy;
  }

  private get busy(): boolean {
    return (this.scan !== undefined && !this.waitingForFeed) || this.pass !== undefined;
  }

  private scanStep(): void {
    const scan = this.scan!;
    const step = scan.step();
    if (!step) {
      this.scan = undefined;
      this.ageDue = true;
      this.totalsChanged = true;
      this.post({
        type: 'scanned',
        images: scan.images,
        bytes: scan.bytes,
        days: scan.dayCount,
        orphans: scan.orphans,
        temporaryRemoved: scan.temporaryRemoved,
        durationMs: performance.now() - this.scanStartedAt,
      });
      return;
    }
    this.totalsChanged = true;
    if (step.orphans.length > 0) this.post({ type: 'orphans', orphans: step.orphans });
    if (this.data.feedFound && step.found.length > 0) {
      this.post({ type: 'found', images: step.found });
      this.waitingForFeed = true;
    }
    const at = performance.now();
    if (at - this.lastProgressAt >= SCAN_PROGRESS_MS) {
      this.lastProgressAt = at;
      this.post({
        type: 'scan-progress',
        images: scan.images,
        bytes: scan.bytes,
        days: scan.daysScanned,
        ofDays: scan.dayCount,
      });
    }
  }

  private startPassIfDue(): void {
    const now = this.now();
    // While the scan runs, the totals are only what it counted so far, and the days it has not
    // reached may hold older images: only free space, a hard limit, is made room for.
    const targets = this.scan ? { ...this.refreshTargets(), capBytes: Infinity } : this.refreshTargets();
    // After a pass that ran out of images: again once the scan has opened another day, or a while later.
    const retry = this.scan
      ? this.scan.daysScanned !== this.unmetAtDaysScanned
      : now - this.lastUnmetAt >= UNMET_RETRY_MS;
    const roomWanted = retry && this.pruner.roomNeeded(targets) !== undefined;
    // Free space is made as soon as it is wanted, on the days scanned so far; the cap and the age
    // limits wait for the end of the scan, so that their pass sees every day.
    const ageWanted = this.ageDue && !this.scan;
    if (!roomWanted && !ageWanted) return;
    if (ageWanted) this.ageDue = false;
    this.pass = this.pruner.startPass(now, targets);
    this.passStartedAt = performance.now();
  }

  private finishPass(): void {
    const pass = this.pass!;
    this.pass = undefined;
    // While the scan runs, the days not scanned yet may hold what is wanted: not unmet yet.
    const unmet = this.scan ? undefined : pass.unmet;
    if (pass.unmet && this.scan) this.unmetAtDaysScanned = this.scan.daysScanned;
    else if (unmet) this.lastUnmetAt = this.now();
    this.totalsChanged = true;
    this.flush();
    if (pass.removed === 0 && !unmet) return;
    this.post({
      type: 'pass',
      report: { ...pass.report(), unmet },
      durationMs: performance.now() - this.passStartedAt,
    });
  }

  private noteRemoved(ref: ImageRef, reason: PruneReason): void {
    let ids = this.removed.get(reason);
    if (!ids) this.removed.set(reason, (ids = []));
    ids.push(imageIdOf(ref));
    this.totalsChanged = true;
  }

  /** Sends what the slice changed: the images removed, then the totals. */
  private flush(): void {
    for (const [reason, imageIds] of this.removed) this.post({ type: 'removed', reason, imageIds });
    this.removed.clear();
    if (!this.totalsChanged) return;
    this.totalsChanged = false;
    this.post({
      type: 'totals',
      bytes: this.totals.bytes,
      images: this.totals.images,
      scanned: this.totals.scanned,
    });
  }

  /**
   * The targets for the file system as it is now: its size can only be read once the storage
   * folder exists (a share of it is no cap until then), and a volume can grow.
   */
  private refreshTargets(): RoomTargets {
    const fileSystemBytes = this.store.fileSystemBytes();
    if (this.targets && fileSystemBytes === this.fileSystemBytes) return this.targets;
    this.fileSystemBytes = fileSystemBytes;
    const settings = this.data.settings;
    const unknownShare = fileSystemBytes === undefined && settings.RETENTION_MAX_BYTES.endsWith('%');
    this.targets = roomTargetsFrom(
      unknownShare ? { ...settings, RETENTION_MAX_BYTES: '0' } : settings,
      fileSystemBytes ?? 0,
    );
    this.post({ type: 'targets', targets: this.targets, fileSystemBytes });
    return this.targets;
  }
}
