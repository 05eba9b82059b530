import { constants } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import { sep } from 'node:path';

/** Why a stored file could not be served: gone (pruned, never there) or not a file of the store. */
export class StoredFileUnavailable extends Error {
  constructor(
    readonly reason: 'missing' | 'outside-store' | 'not-a-file',
    path: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'StoredFileUnavailable';
  }
}

/** An open stored file; the caller closes the handle (or hands it to a stream that does). */
export interface OpenStoredFile {
  readonly handle: FileHandle;
  readonly size: number;
}

/** The path an open descriptor refers to, as the kernel resolved it (Linux); undefined elsewhere. */
async function pathOfDescriptor(fd: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * Opens a file under `root` for reading without following a symbolic link out of it: the last
 * component must not be a link (O_NOFOLLOW), and the file actually opened must lie under the real
 * path of `root` (checked on the open descriptor, so swapping a folder for a link in between
 * changes nothing), and be a regular file.
 */
export async function openStoredFile(root: string, path: string): Promise<OpenStoredFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new StoredFileUnavailable(
      code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'outside-store',
      path,
    );
  }
  try {
    const realRoot = await realpath(root);
    const opened = (await pathOfDescriptor(handle.fd)) ?? (await realpath(path));
    if (!opened.startsWith(realRoot + sep)) throw new StoredFileUnavailable('outside-store', path);
    const stats = await handle.stat();
    if (!stats.isFile()) throw new StoredFileUnavailable('not-a-file', path);
    return { handle, size: stats.size };
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof StoredFileUnavailable) throw error;
    throw new StoredFileUnavailable('missing', path);
  }
}
