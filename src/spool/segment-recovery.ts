import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSegment, type SegmentContents } from './segment-format.js';
import { QUARANTINE_FOLDER, type Quarantined } from './spool-files.js';

const SEGMENT_NAME = /^segment-(\d+)\.log$/;

/** A segment file read back at start-up. */
export interface FoundSegment {
  readonly name: string;
  readonly number: number;
  readonly contents: SegmentContents;
}

/**
 * Reads every segment file among `names` (the spool folder's); one with a damaged record is
 * copied to quarantine (named with `now`), what comes before the damage still read.
 */
export async function readSegments(
  directory: string,
  names: readonly string[],
  now: number,
): Promise<{ found: FoundSegment[]; quarantined: Quarantined[] }> {
  const found: FoundSegment[] = [];
  const quarantined: Quarantined[] = [];
  for (const name of names) {
    const number = SEGMENT_NAME.exec(name)?.[1];
    if (number === undefined) continue;
    const path = join(directory, name);
    const contents = decodeSegment(await readFile(path));
    if (contents.damage) {
      const copy = `${name}.${now}`;
      await copyFile(path, join(directory, QUARANTINE_FOLDER, copy));
      quarantined.push({ file: copy, reason: `${contents.damage} after ${contents.records.length} records` });
    }
    found.push({ name, number: Number(number), contents });
  }
  return { found, quarantined };
}
