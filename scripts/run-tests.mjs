#!/usr/bin/env node
// Runs the compiled tests with Node's own test runner. `npm test` compiles first (pretest).
// Usage: node scripts/run-tests.mjs [unit|e2e|all] [extra node --test flags]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const suite = ['unit', 'e2e', 'all'].includes(process.argv[2]) ? process.argv[2] : 'all';
const extraFlags = process.argv.slice(suite === process.argv[2] ? 3 : 2);

function findFiles(dir, suffix) {
  let found = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findFiles(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found.sort();
}

const unit = ['src', 'libs', 'apps'].flatMap((root) => findFiles(join('dist', root), '.spec.js'));
const e2e = findFiles(join('dist', 'test'), '.e2e-spec.js');
const files = suite === 'unit' ? unit : suite === 'e2e' ? e2e : [...unit, ...e2e];
if (files.length === 0) {
  console.error(`no ${suite} test files under dist/: did the build run?`);
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-reporter=spec', ...extraFlags, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
