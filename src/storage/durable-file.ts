import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Suffix of files being written; anything with it at start-up is a leftover of a crash. */
export const TEMPORARY_SUFFIX = '.tmp';

/** fsyncs a directory so that a rename or a new entry in it survives power loss. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `dir` and its missing parents up to `root`, making each new entry durable. */
export async function ensureDirectory(root: string, dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  for (
    let created = dir;
    created.length >= firstCreated.length && created !== root;
    created = dirname(created)
  ) {
    await syncDirectory(dirname(created));
  }
}

/**
 * Writes `data` to a temporary file beside `path`, fsyncs it and renames it over `path`:
 * a reader sees the old content or the new, never a part. The caller fsyncs the directory once
 * all of its renames are done.
 */
export async function writeFileAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${randomBytes(4).toString('hex')}${TEMPORARY_SUFFIX}`,
  );
  const handle = await open(temporary, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
