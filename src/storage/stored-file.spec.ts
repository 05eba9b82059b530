import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStoredFile, StoredFileUnavailable } from './stored-file.js';

describe('openStoredFile: a stored file, never through a link out of the store', () => {
  let root: string;
  let outside: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'stored-file-'));
    outside = await mkdtemp(join(tmpdir(), 'stored-file-outside-'));
    await writeFile(join(outside, 'secret'), 'secret');
    await mkdir(join(root, 'day', 'device'), { recursive: true });
    await writeFile(join(root, 'day', 'device', 'photo.jpg'), 'jpeg');
    await symlink(join(outside, 'secret'), join(root, 'day', 'device', 'link.jpg'));
    await symlink(outside, join(root, 'day', 'linked-device'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  const reasonOf = async (path: string): Promise<string> => {
    try {
      const file = await openStoredFile(root, path);
      await file.handle.close();
      return 'opened';
    } catch (error) {
      assert.ok(error instanceof StoredFileUnavailable);
      return error.reason;
    }
  };

  it('opens a regular file of the store', async () => {
    const file = await openStoredFile(root, join(root, 'day', 'device', 'photo.jpg'));
    assert.equal(file.size, 4);
    assert.equal(await file.handle.readFile('utf8'), 'jpeg');
    await file.handle.close();
  });

  it('refuses a symbolic link, and a file reached through a linked folder', async () => {
    assert.equal(await reasonOf(join(root, 'day', 'device', 'link.jpg')), 'outside-store');
    assert.equal(await reasonOf(join(root, 'day', 'linked-device', 'secret')), 'outside-store');
    assert.equal(await reasonOf(join(root, 'day')), 'not-a-file');
    assert.equal(await reasonOf(join(root, 'day', 'device', 'gone.jpg')), 'missing');
  });
});
