import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository, from this spec's compiled place (dist/src). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The folder a module belongs to: `src/<folder>` or `libs/<library>`; the app's root files apart. */
function folderOf(path: string): string | undefined {
  const [top, name, ...rest] = path.split('/');
  if (top === 'libs' && name) return `libs/${name}`;
  if (top === 'src' && name && rest.length > 0) return `src/${name}`;
  return undefined;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return name === 'testing' ? [] : sourcesUnder(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Which folders each folder imports (test support left out). */
function folderImports(): Map<string, Set<string>> {
  const imports = new Map<string, Set<string>>();
  for (const path of [...sourcesUnder('src'), ...sourcesUnder('libs')]) {
    const from = folderOf(path);
    if (!from) continue;
    for (const [, target] of readFileSync(join(ROOT, path), 'utf8').matchAll(/from '([^']+)'/g)) {
      const to = target!.startsWith('.')
        ? folderOf(relative(ROOT, normalize(join(ROOT, dirname(path), target!))))
        : target!.startsWith('#')
          ? `libs/${target!.slice(1)}`
          : undefined;
      if (to && to !== from) imports.set(from, (imports.get(from) ?? new Set()).add(to));
    }
  }
  return imports;
}

describe('folder imports', () => {
  it('form no cycle: each folder of src and libs can be read without the ones that use it', () => {
    const imports = folderImports();
    const cycles: string[] = [];
    const done = new Set<string>();
    const visit = (folder: string, path: string[]): void => {
      if (path.includes(folder)) {
        cycles.push([...path.slice(path.indexOf(folder)), folder].join(' → '));
        return;
      }
      if (done.has(folder)) return;
      for (const next of imports.get(folder) ?? []) visit(next, [...path, folder]);
      done.add(folder);
    };
    for (const folder of imports.keys()) visit(folder, []);
    assert.ok(imports.size > 10, 'the folders were read');
    assert.deepEqual(cycles, []);
  });
});
