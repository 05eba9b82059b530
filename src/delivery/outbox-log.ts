import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, writeFileAtomically } from '../storage/durable-file.js';

/** One result waiting to be delivered, as written to the outbox's log. */
export interface OutboxEntry {
  readonly seq: number;
  /** The device it is about (`<device id>_<address>`): its MQTT topic. */
  readonly key: string;
  /** The JSON payload, as sent. */
  readonly payload: string;
  /** When its analysis was recorded, and the image: what the log has reached (see `RecoveryMark`). */
  readonly analysedAt: string;
  readonly imageId: string;
}

/**
 * Where a restarted gateway looks for results recorded but never appended (a crash in between):
 * those analysed at or after `since` whose image is not among `imageIds` (the log's entries of
 * that span).
 */
export interface RecoveryMark {
  readonly since: string;
  readonly imageIds: ReadonlySet<string>;
}

/** What is kept beside the log: each sink's progress, and how far the log has got. */
export interface OutboxState {
  /** Per sink, every entry up to this sequence number is delivered (or dropped). */
  readonly cursors: Readonly<Record<string, number>>;
  readonly nextSeq: number;
  /** When the outbox was first opened: nothing analysed before is its business. */
  readonly openedAt: string;
  /** The latest `analysedAt` written to the log (it outlives the segments). */
  readonly newestAnalysedAt: string;
}

/** A log segment is closed past this size and a new one begun; whole segments are deleted. */
const SEGMENT_BYTES = 1024 * 1024;
const SEGMENT_NAME = /^(\d{16})\.log$/;
const STATE_FILE = 'state.json';

/** The latest `analysedAt` among `entries` and `than`. */
export function newestOf(entries: readonly OutboxEntry[], than: string): string {
  let newest = than;
  for (const entry of entries) if (entry.analysedAt > newest) newest = entry.analysedAt;
  return newest;
}

function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, '0')}.log`;
}

/** Entries as lines of JSON: a line cut short by a crash is the end of what was written. */
function parseLines(text: string): OutboxEntry[] {
  const entries: OutboxEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const { s, k, p, a, i } = JSON.parse(line) as Record<string, unknown>;
      if (typeof s !== 'number' || typeof k !== 'string' || typeof p !== 'string') break;
      entries.push({ seq: s, key: k, payload: p, analysedAt: String(a), imageId: String(i) });
    } catch {
      break;
    }
  }
  return entries;
}

/**
 * The outbox on disk: entries appended to segment files (`<first seq>.log`, lines of JSON),
 * written in order, one write and one fdatasync per batch; a state file, replaced atomically,
 * with each sink's cursor. Survives the process being killed at any point: what was written is
 * read back, a torn last line is ignored.
 */
export class OutboxLog {
  /** Oldest first, each with the latest `analysedAt` it holds. */
  private segments: { firstSeq: number; newestAnalysedAt: string }[] = [];
  private current: { handle: FileHandle; firstSeq: number; bytes: number } | undefined;

  constructor(readonly directory: string) {}

  /** Reads what a previous process left: its state (if any) and every entry in the segments. */
  async load(): Promise<{ state: OutboxState | undefined; entries: OutboxEntry[] }> {
    await mkdir(this.directory, { recursive: true });
    let state: OutboxState | undefined;
    try {
      state = JSON.parse(await readFile(join(this.directory, STATE_FILE), 'utf8')) as OutboxState;
    } catch {
      state = undefined;
    }
    const names = (await readdir(this.directory)).filter((name) => SEGMENT_NAME.test(name)).sort();
    const entries: OutboxEntry[] = [];
    this.segments = [];
    for (const name of names) {
      const read = parseLines(await readFile(join(this.directory, name), 'utf8'));
      entries.push(...read);
      this.segments.push({
        firstSeq: Number(SEGMENT_NAME.exec(name)![1]),
        newestAnalysedAt: newestOf(read, ''),
      });
    }
    return { state, entries };
  }

  /** Appends entries (in order) and makes them durable. Calls are serialized by the caller. */
  async append(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (!this.current || this.current.bytes >= SEGMENT_BYTES) await this.startSegment(entries[0]!.seq);
    const text = entries
      .map((e) => JSON.stringify({ s: e.seq, k: e.key, p: e.payload, a: e.analysedAt, i: e.imageId }))
      .join('\n');
    const data = Buffer.from(`${text}\n`);
    await this.current!.handle.write(data);
    await this.current!.handle.datasync();
    this.current!.bytes += data.length;
    const segment = this.segments[this.segments.length - 1]!;
    segment.newestAnalysedAt = newestOf(entries, segment.newestAnalysedAt);
  }

  async writeState(state: OutboxState): Promise<void> {
    await writeFileAtomically(join(this.directory, STATE_FILE), JSON.stringify(state));
    await syncDirectory(this.directory);
  }

  /**
   * Deletes the segments all of whose entries are at or below `deliveredUpTo` and were analysed
   * before `keepAnalysedFrom` (those stay for the recovery mark); never the one written to.
   */
  async prune(deliveredUpTo: number, keepAnalysedFrom: string): Promise<void> {
    while (
      this.segments.length > 1 &&
      this.segments[1]!.firstSeq - 1 <= deliveredUpTo &&
      this.segments[0]!.newestAnalysedAt < keepAnalysedFrom
    ) {
      const { firstSeq } = this.segments.shift()!;
      await rm(join(this.directory, segmentName(firstSeq)), { force: true });
    }
  }

  async close(): Promise<void> {
    await this.current?.handle.close();
    this.current = undefined;
  }

  private async startSegment(firstSeq: number): Promise<void> {
    await this.current?.handle.close();
    const handle = await open(join(this.directory, segmentName(firstSeq)), 'a');
    this.current = { handle, firstSeq, bytes: 0 };
    if (this.segments[this.segments.length - 1]?.firstSeq !== firstSeq)
      this.segments.push({ firstSeq, newestAnalysedAt: '' });
    await syncDirectory(this.directory);
  }
}
