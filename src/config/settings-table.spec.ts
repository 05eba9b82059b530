import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { settingsTable, SETTINGS_TABLE_MARKERS } from './settings-table.js';

describe('README configuration table', () => {
  it('lists every setting with its default, exactly as the code declares them', () => {
    const readme = readFileSync('README.md', 'utf8');
    const [start, end] = SETTINGS_TABLE_MARKERS;
    const documented = readme.slice(readme.indexOf(start) + start.length, readme.indexOf(end)).trim();
    assert.equal(documented, settingsTable(), 'run `npm run build && node scripts/settings-table.mjs`');
  });
});
