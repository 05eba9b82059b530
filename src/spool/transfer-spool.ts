import { closeSync, openSync, writevSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeSpool,
  encodeFlowMode,
  encodeHeader,
  encodePacketPrefix,
  encodeStored,
  SpoolFormatError,
  type SpoolContents,
  type SpooledFlowMode,
  type SpoolHeader,
  type SpoolStored,
} from './spool-format.js';

const SPOOL_SUFFIX = '.spool';

/** What start-up found in the spool. */
export interface SpoolRecovery {
  readonly entries: SpoolContents[];
  /** Files that could not be read, moved to the quarantine folder. */
  readonly quarantined: { readonly file: string; readonly reason: string }[];
}

/**
 * Transfers in flight, on disk: what a transfer has acknowledged survives the process (a crash,
 * an OOM kill, a redeploy), so that after a restart the camera's next resent packet is simply
 * acknowledged. One append-only file a transfer, each record written whole with O_APPEND.
 *
 * Writes are synchronous and go to the page cache without fsync: a few microseconds each, done
 * before the reply they guard is built, with no thread-pool round trip on the datagram path
 * (measured: asynchronous writes halved the ACK rate). They survive the process, not a power cut
 * (the finished image itself is fsynced before it is acknowledged).
 */
export class TransferSpool {
  private readonly files = new Map<string, number>();

  constructor(readonly directory: string) {}

  get quarantineDirectory(): string {
    return join(this.directory, 'quarantine');
  }

  /** Creates the spool folder. */
  async prepare(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
  }

  /** Reopens the file of a transfer recovered at start-up, to append to it. */
  resume(transferId: string): void {
    this.files.set(transferId, openSync(this.pathOf(transferId), 'a'));
  }

  /** Starts a transfer's file with its header. Throws when the disk refuses. */
  begin(header: SpoolHeader): void {
    const file = openSync(this.pathOf(header.transferId), 'a');
    this.files.set(header.transferId, file);
    this.write(header.transferId, encodeHeader(header));
  }

  /** Appends an acknowledged packet. Throws when the disk refuses. */
  append(transferId: string, index: number, payload: Buffer): void {
    this.write(transferId, encodePacketPrefix(index, payload), payload);
  }

  recordFlowMode(transferId: string, mode: SpooledFlowMode): void {
    this.write(transferId, encodeFlowMode(mode));
  }

  /** Marks the image stored: after a restart the transfer answers late duplicates, never stores again. */
  recordStored(transferId: string, stored: SpoolStored): void {
    this.write(transferId, encodeStored(stored));
  }

  /** Closes a transfer's file and deletes it. */
  async discard(transferId: string): Promise<void> {
    this.close(transferId);
    await rm(this.pathOf(transferId), { force: true });
  }

  /** Closes a transfer's file and keeps it, for the next start (graceful shutdown). */
  close(transferId: string): void {
    const file = this.files.get(transferId);
    if (file === undefined) return;
    this.files.delete(transferId);
    try {
      closeSync(file);
    } catch {
      // Already gone: nothing to keep open.
    }
  }

  closeAll(): void {
    for (const transferId of [...this.files.keys()]) this.close(transferId);
  }

  /** Reads every spool file; an unreadable one is moved to quarantine, never retried in a loop. */
  async recover(): Promise<SpoolRecovery> {
    await mkdir(this.quarantineDirectory, { recursive: true });
    const entries: SpoolContents[] = [];
    const quarantined: { file: string; reason: string }[] = [];
    for (const name of await readdir(this.directory)) {
      if (!name.endsWith(SPOOL_SUFFIX)) continue;
      const path = join(this.directory, name);
      try {
        const contents = decodeSpool(await readFile(path));
        if (`${contents.header.transferId}${SPOOL_SUFFIX}` !== name) {
          throw new SpoolFormatError('file name and header disagree');
        }
        entries.push(contents);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await rename(path, join(this.quarantineDirectory, name));
        quarantined.push({ file: name, reason });
      }
    }
    return { entries, quarantined };
  }

  private write(transferId: string, ...buffers: Buffer[]): void {
    const file = this.files.get(transferId);
    if (file === undefined) throw new Error(`no spool file open for transfer ${transferId}`);
    writevSync(file, buffers);
  }

  private pathOf(transferId: string): string {
    return join(this.directory, `${transferId}${SPOOL_SUFFIX}`);
  }
}
