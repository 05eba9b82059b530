import { closeSync, openSync, writeSync } from 'node:fs';
import { copyFile, readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompletedTransfer } from '../common/transfer-model.js';
import { decodeCompletedLog, encodeCompletion } from './completed-format.js';
import { QUARANTINE_FOLDER, type Quarantined } from './spool-files.js';

export const COMPLETED_LOG_NAME = /^completed-(\d+)\.log$/;

/** Shortest time span of one completed log file. */
const MIN_COMPLETED_LOG_SPAN_MS = 1000;

/** What start-up found in the completed logs. */
export interface CompletedRecovery {
  /** Transfers stored within the retention, oldest first. */
  readonly completed: CompletedTransfer[];
  readonly quarantined: Quarantined[];
}

/**
 * The records of stored transfers, one file per time span of `ttlMs`: appended to once per stored
 * image, synchronously, before its final reply; a file is deleted once everything it holds is
 * older than the retention.
 */
export class CompletedLog {
  private readonly spanMs: number;
  private current: { readonly file: number; readonly span: number } | undefined;
  private readonly spans = new Set<number>();
  private readonly deletions = new Set<Promise<void>>();

  constructor(
    readonly directory: string,
    /** How long completions are remembered, across restarts too (COMPLETED_RECORD_TTL_MS; 0: not at all). */
    private readonly ttlMs: number,
  ) {
    this.spanMs = Math.max(ttlMs, MIN_COMPLETED_LOG_SPAN_MS);
  }

  /**
   * Reads the completed logs among `names` (the spool folder's), deleting expired ones. A log
   * whose tail does not read (an append cut short, damage) is copied to quarantine and cut back
   * to its last whole record, so that it is reported once.
   */
  async recover(names: readonly string[], now: number): Promise<CompletedRecovery> {
    const completed: CompletedTransfer[] = [];
    const quarantined: Quarantined[] = [];
    for (const name of names) {
      const span = COMPLETED_LOG_NAME.exec(name)?.[1];
      if (span === undefined) continue;
      const path = join(this.directory, name);
      if (this.isExpiredSpan(Number(span), now)) {
        await rm(path, { force: true });
        continue;
      }
      this.spans.add(Number(span));
      const file = await readFile(path);
      const { completions, validBytes, unknownRecords } = decodeCompletedLog(file);
      if (validBytes < file.length) {
        const copy = `${name}.${now}`;
        await copyFile(path, join(this.directory, QUARANTINE_FOLDER, copy));
        await truncate(path, validBytes);
        quarantined.push({
          file: copy,
          reason: `unreadable after ${completions.length} records (${file.length - validBytes} bytes)`,
        });
      }
      if (unknownRecords > 0)
        quarantined.push({ file: name, reason: `${unknownRecords} records of an unknown shape skipped` });
      completed.push(...completions.filter((completion) => completion.storedAt + this.ttlMs > now));
    }
    return { completed: completed.sort((a, b) => a.storedAt - b.storedAt), quarantined };
  }

  /** Logs a stored transfer at once. Throws when the log cannot be written. */
  append(completion: CompletedTransfer): void {
    if (this.ttlMs > 0) writeSync(this.fileFor(completion.storedAt), encodeCompletion(completion));
  }

  closeAll(): void {
    if (this.current) closeQuietly(this.current.file);
    this.current = undefined;
  }

  /** Resolves once the expired logs are deleted. */
  async deletionsDone(): Promise<void> {
    await Promise.all(this.deletions);
  }

  /** The log of `storedAt`'s time span; starting a new span deletes expired logs. */
  private fileFor(storedAt: number): number {
    const span = Math.floor(storedAt / this.spanMs);
    if (this.current?.span === span) return this.current.file;
    if (this.current) closeQuietly(this.current.file);
    this.current = { file: openSync(join(this.directory, `completed-${span}.log`), 'a'), span };
    this.spans.add(span);
    for (const old of this.spans) {
      if (!this.isExpiredSpan(old, storedAt)) continue;
      this.spans.delete(old);
      const deletion: Promise<void> = rm(join(this.directory, `completed-${old}.log`), { force: true })
        .catch(() => undefined)
        .finally(() => this.deletions.delete(deletion));
      this.deletions.add(deletion);
    }
    return this.current.file;
  }

  /** Whether everything a log of `span` holds is older than the retention at `now`. */
  private isExpiredSpan(span: number, now: number): boolean {
    return (span + 1) * this.spanMs + this.ttlMs <= now;
  }
}

function closeQuietly(file: number): void {
  try {
    closeSync(file);
  } catch {
    // Already closed.
  }
}
