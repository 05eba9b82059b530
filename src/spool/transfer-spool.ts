import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
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
 * Writes go to the page cache without fsync: they survive the process, not a power cut (the
 * finished image itself is fsynced before it is acknowledged).
 */
export class TransferSpool {
  private readonly handles = new Map<string, Promise<FileHandle>>();
  /** Per transfer, the last write: writes of one transfer are chained so they land in order. */
  private readonly tails = new Map<string, Promise<void>>();

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
    this.handles.set(transferId, open(this.pathOf(transferId), 'a'));
  }

  /** Starts a transfer's file; resolves once the header is written. */
  begin(header: SpoolHeader): Promise<void> {
    const handle = open(this.pathOf(header.transferId), 'a');
    this.handles.set(header.transferId, handle);
    return this.write(header.transferId, encodeHeader(header));
  }

  /** Appends an acknowledged packet; resolves once it is written. */
  append(transferId: string, index: number, payload: Buffer): Promise<void> {
    return this.write(transferId, encodePacketPrefix(index, payload), payload);
  }

  recordFlowMode(transferId: string, mode: SpooledFlowMode): Promise<void> {
    return this.write(transferId, encodeFlowMode(mode));
  }

  /** Marks the image stored: after a restart the transfer answers late duplicates, never stores again. */
  recordStored(transferId: string, stored: SpoolStored): Promise<void> {
    return this.write(transferId, encodeStored(stored));
  }

  /** Resolves when every write so far for the transfer has landed. */
  settled(transferId: string): Promise<void> {
    return this.tails.get(transferId) ?? Promise.resolve();
  }

  /** Closes a transfer's file and deletes it. */
  async discard(transferId: string): Promise<void> {
    await this.close(transferId);
    await rm(this.pathOf(transferId), { force: true });
  }

  /** Closes a transfer's file and keeps it, for the next start (graceful shutdown). */
  async close(transferId: string): Promise<void> {
    const handle = this.handles.get(transferId);
    if (!handle) return;
    this.handles.delete(transferId);
    await this.tails.get(transferId)?.catch(() => undefined);
    this.tails.delete(transferId);
    await (await handle.catch(() => undefined))?.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.handles.keys()].map((id) => this.close(id)));
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
        if (`${contents.header.transferId}${SPOOL_SUFFIX}` !== name)
          throw new SpoolFormatError('file name and header disagree');
        entries.push(contents);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await rename(path, join(this.quarantineDirectory, name));
        quarantined.push({ file: name, reason });
      }
    }
    return { entries, quarantined };
  }

  private write(transferId: string, ...buffers: Buffer[]): Promise<void> {
    const handle = this.handles.get(transferId);
    if (!handle) return Promise.reject(new Error(`no spool file open for transfer ${transferId}`));
    const previous = this.tails.get(transferId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        await (await handle).writev(buffers);
      });
    this.tails.set(transferId, next);
    return next;
  }

  private pathOf(transferId: string): string {
    return join(this.directory, `${transferId}${SPOOL_SUFFIX}`);
  }
}
