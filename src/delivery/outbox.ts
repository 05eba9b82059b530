import { EventEmitter } from 'node:events';
import { newestOf, OutboxLog, type OutboxEntry, type OutboxState, type RecoveryMark } from './outbox-log.js';

/** Cursor changes are written to the state file at most this often (a crash repeats the rest). */
const STATE_WRITE_MS = 200;

/** What the outbox tells its sinks and metrics. */
export interface OutboxEventMap {
  /** New entries are there to deliver. */
  appended: [];
  /** The outbox was full: `count` entries `sink` had not delivered were dropped, oldest first. */
  dropped: [sink: string, count: number];
  /** Writing to disk failed; what was not written stays in memory and is written with the next. */
  writeFailed: [error: Error];
}

export interface OutboxOptions {
  /** Most payload bytes kept waiting; past it the oldest are dropped. */
  readonly maxBytes: number;
  readonly sinks: readonly string[];
  /** Longest a result is appended after one analysed later (the per-device reordering). */
  readonly reorderWindowMs: number;
  readonly now: () => number;
}

/** A result to append: the device it is about, its payload, and what the recovery mark needs. */
export interface OutboxItem {
  readonly key: string;
  readonly payload: unknown;
  readonly analysedAt: string;
  readonly imageId: string;
}

/**
 * The durable, bounded outbox of results not yet delivered, shared by the sinks (MQTT, webhook):
 * entries in the order appended, each sink with its own cursor, an entry kept until every sink
 * has it. At most `maxBytes` of payload wait; past that the oldest are dropped (and counted).
 * Entries are in memory for the sinks and in `OutboxLog` on disk for the next process: on
 * start-up each sink goes on after its cursor (at least once: what was sent but not confirmed
 * is sent again).
 */
export class Outbox extends EventEmitter<OutboxEventMap> {
  /** Oldest first, sequence numbers contiguous. */
  private entries: OutboxEntry[] = [];
  private readonly cursors = new Map<string, number>();
  /** Per sink, entries confirmed beyond its cursor (confirmations may come out of order). */
  private readonly confirmedAhead = new Map<string, Set<number>>();
  private nextSeq = 1;
  private queuedBytes = 0;
  private newestWritten: string;
  private unwritten: OutboxEntry[] = [];
  private writing: Promise<void> = Promise.resolve();
  private stateTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly log: OutboxLog,
    private readonly options: OutboxOptions,
    private readonly openedAt: string,
    /** Computed once, from what the previous process left. */
    readonly recoveryMark: RecoveryMark,
  ) {
    super();
    this.newestWritten = recoveryMark.since;
  }

  get sinks(): readonly string[] {
    return this.options.sinks;
  }

  /** Opens the outbox in `directory`, reading what a previous process left. */
  static async open(directory: string, options: OutboxOptions): Promise<Outbox> {
    const log = new OutboxLog(directory);
    const { state, entries } = await log.load();
    // A first start begins now: results analysed before it are not this outbox's.
    const openedAt = state?.openedAt ?? new Date(options.now()).toISOString();
    const newest = newestOf(entries, state?.newestAnalysedAt ?? openedAt);
    // Results are appended at most `reorderWindowMs` out of the order of their analysis: the ones
    // lost in a crash were analysed after the newest written, less that window.
    const windowStart = new Date(Date.parse(newest) - options.reorderWindowMs).toISOString();
    const since = windowStart > openedAt ? windowStart : openedAt;
    const imageIds = new Set(
      entries.filter((entry) => entry.analysedAt >= since).map((entry) => entry.imageId),
    );
    const outbox = new Outbox(log, options, openedAt, { since, imageIds });
    outbox.newestWritten = newest;
    outbox.restore(state, entries);
    // At once: the next process must know when this outbox began, and each sink's cursor.
    await log.writeState(outbox.state());
    return outbox;
  }

  /** Payload bytes waiting for at least one sink. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Entries `sink` has not delivered yet. */
  pending(sink: string): number {
    return this.nextSeq - 1 - this.cursor(sink);
  }

  /** Every entry up to this one is delivered to `sink` (or dropped). */
  cursor(sink: string): number {
    return this.cursors.get(sink) ?? this.nextSeq - 1;
  }

  append(items: readonly OutboxItem[]): void {
    if (this.closed || items.length === 0) return;
    for (const item of items) {
      const entry: OutboxEntry = {
        seq: this.nextSeq++,
        key: item.key,
        payload: JSON.stringify(item.payload),
        analysedAt: item.analysedAt,
        imageId: item.imageId,
      };
      this.entries.push(entry);
      this.unwritten.push(entry);
      this.queuedBytes += entry.payload.length;
    }
    this.dropOverflow();
    this.scheduleWrite();
    this.emit('appended');
  }

  /** Up to `max` entries after `afterSeq`, in order. */
  take(afterSeq: number, max: number): OutboxEntry[] {
    const first = this.entries[0];
    if (!first) return [];
    const start = Math.max(0, afterSeq + 1 - first.seq);
    return this.entries.slice(start, start + max);
  }

  /** `sink` has delivered entry `seq`. */
  confirm(sink: string, seq: number): void {
    let cursor = this.cursor(sink);
    if (seq <= cursor) return;
    const ahead = this.confirmedAhead.get(sink) ?? new Set<number>();
    this.confirmedAhead.set(sink, ahead);
    ahead.add(seq);
    while (ahead.delete(cursor + 1)) cursor++;
    this.cursors.set(sink, cursor);
    this.release();
    this.scheduleState();
  }

  /** Waits until everything appended is written. */
  async flush(): Promise<void> {
    this.scheduleWrite();
    await this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.stateTimer);
    await this.log.writeState(this.state());
    await this.log.close();
  }

  private restore(state: OutboxState | undefined, entries: readonly OutboxEntry[]): void {
    const lastSeq = Math.max(state?.nextSeq ? state.nextSeq - 1 : 0, entries[entries.length - 1]?.seq ?? 0);
    this.nextSeq = lastSeq + 1;
    for (const sink of this.sinks) {
      // A sink new to this outbox starts with what comes next; without a state file every entry
      // of the log is still to deliver.
      const fallback = state === undefined ? 0 : lastSeq;
      this.cursors.set(sink, Math.min(lastSeq, state?.cursors[sink] ?? fallback));
    }
    const oldestNeeded = Math.min(...this.sinks.map((sink) => this.cursor(sink))) + 1;
    this.entries = entries.filter((entry) => entry.seq >= oldestNeeded);
    this.queuedBytes = this.entries.reduce((sum, entry) => sum + entry.payload.length, 0);
  }

  /** Drops entries every sink has. */
  private release(): void {
    const delivered = Math.min(...this.sinks.map((sink) => this.cursor(sink)));
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop]!.seq <= delivered) {
      this.queuedBytes -= this.entries[drop]!.payload.length;
      drop++;
    }
    if (drop > 0) this.entries.splice(0, drop);
  }

  private dropOverflow(): void {
    let dropped = 0;
    while (this.queuedBytes > this.options.maxBytes && this.entries.length > 1) {
      const oldest = this.entries.shift()!;
      this.queuedBytes -= oldest.payload.length;
      dropped = oldest.seq;
    }
    if (dropped === 0) return;
    for (const sink of this.sinks) {
      const cursor = this.cursor(sink);
      if (cursor >= dropped) continue;
      this.cursors.set(sink, dropped);
      const ahead = this.confirmedAhead.get(sink);
      if (ahead) for (const seq of ahead) if (seq <= dropped) ahead.delete(seq);
      this.emit('dropped', sink, dropped - cursor);
    }
    this.scheduleState();
  }

  private scheduleWrite(): void {
    this.serialize(async () => {
      const batch = this.unwritten;
      if (batch.length === 0) return;
      this.unwritten = [];
      try {
        await this.log.append(batch);
      } catch (error) {
        this.unwritten = [...batch, ...this.unwritten];
        throw error;
      }
      this.newestWritten = newestOf(batch, this.newestWritten);
    });
  }

  /** Disk work one piece after the other; a failure is reported, the next piece still runs. */
  private serialize(work: () => Promise<void>): void {
    this.writing = this.writing.then(work).catch((error: unknown) => {
      this.emit('writeFailed', error instanceof Error ? error : new Error(String(error)));
    });
  }

  private scheduleState(): void {
    if (this.stateTimer || this.closed) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      this.serialize(async () => {
        const state = this.state();
        await this.log.writeState(state);
        const keepFrom = new Date(
          Date.parse(state.newestAnalysedAt) - this.options.reorderWindowMs,
        ).toISOString();
        await this.log.prune(Math.min(...this.sinks.map((sink) => state.cursors[sink] ?? 0)), keepFrom);
      });
    }, STATE_WRITE_MS);
    this.stateTimer.unref();
  }

  private state(): OutboxState {
    return {
      cursors: Object.fromEntries(this.sinks.map((sink) => [sink, this.cursor(sink)])),
      nextSeq: this.nextSeq,
      openedAt: this.openedAt,
      newestAnalysedAt: this.newestWritten,
    };
  }
}
