import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompletedTransfer } from '../common/transfer-model.js';
import { COMPLETED_LOG_NAME, CompletedLog } from './completed-log.js';
import { SegmentLog, type SegmentLogOptions } from './segment-log.js';
import type { SpoolContents } from './segment-format.js';
import { QUARANTINE_FOLDER, type Quarantined } from './spool-files.js';

const SEGMENT_FILE = /^segment-\d+\.log$/;

/** What start-up found in the spool. */
export interface SpoolRecovery {
  /** Transfers left in flight: `begin` them again (with their packets) to keep them, then `settle`. */
  readonly inFlight: SpoolContents[];
  /** Transfers stored within the retention, oldest first. */
  readonly completed: CompletedTransfer[];
  /** Files that could not be read, or read only in part, moved or copied to the quarantine folder. */
  readonly quarantined: Quarantined[];
}

/** How a spool is set up. */
export interface SpoolOptions extends SegmentLogOptions {
  /** How long completions are remembered, across restarts too (COMPLETED_RECORD_TTL_MS). */
  readonly completedRecordTtlMs: number;
}

/**
 * The spool's folder: the segment log of the transfers in flight and the completed log of the
 * stored ones, side by side. A file that is neither is moved to quarantine at start-up.
 */
export class Spool {
  readonly segments: SegmentLog;
  readonly completed: CompletedLog;

  constructor(
    readonly directory: string,
    options: SpoolOptions,
  ) {
    this.segments = new SegmentLog(directory, options);
    this.completed = new CompletedLog(directory, options.completedRecordTtlMs);
  }

  /** Reads what a previous process left; call `settle` once what is kept was begun again. */
  async recover(now: number): Promise<SpoolRecovery> {
    await mkdir(join(this.directory, QUARANTINE_FOLDER), { recursive: true });
    const names = (await readdir(this.directory)).sort();
    const quarantined: Quarantined[] = [];
    for (const name of names) {
      if (name === QUARANTINE_FOLDER || SEGMENT_FILE.test(name) || COMPLETED_LOG_NAME.test(name)) continue;
      await rename(join(this.directory, name), join(this.directory, QUARANTINE_FOLDER, name));
      quarantined.push({ file: name, reason: 'not a spool file' });
    }
    const completions = await this.completed.recover(names, now);
    const segments = await this.segments.recover(names, now);
    const stored = new Set(completions.completed.map((completion) => completion.transferId));
    return {
      inFlight: segments.inFlight.filter((transfer) => !stored.has(transfer.header.transferId)),
      completed: completions.completed,
      quarantined: [...quarantined, ...completions.quarantined, ...segments.quarantined],
    };
  }

  /** Writes what waits, then closes every file; transfers in flight stay on disk. */
  closeAll(): void {
    this.segments.closeAll();
    this.completed.closeAll();
  }

  /** Closes every file without writing what waits (the process is killed). */
  abandon(): void {
    this.segments.abandon();
    this.completed.closeAll();
  }

  /** Resolves once the files the spool let go of are deleted. */
  async deletionsDone(): Promise<void> {
    await Promise.all([this.segments.deletionsDone(), this.completed.deletionsDone()]);
  }
}
