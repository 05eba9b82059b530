import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeLabel } from './label.js';
import { MAX_LABEL_BYTES } from './limits.js';

describe('sanitizeLabel', () => {
  const cases: ReadonlyArray<[string, string, string]> = [
    ['keeps printable ASCII as it is', 'frayed jacket', 'frayed jacket'],
    ['keeps the empty label empty', '', ''],
    ['replaces an accented letter with one ?', 'câble', 'c?ble'],
    ['replaces control characters', 'a\tb\nc\u007f', 'a?b?c?'],
    ['replaces an emoji (two UTF-16 units) with a single ?', 'ok 👍', 'ok ?'],
    ['truncates to 24 characters', 'abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwx'],
    ['truncates after replacing, counting one byte a character', 'é'.repeat(30), '?'.repeat(MAX_LABEL_BYTES)],
  ];
  for (const [behaviour, label, expected] of cases) {
    it(behaviour, () => assert.equal(sanitizeLabel(label), expected));
  }

  it('truncates to the room given', () => assert.equal(sanitizeLabel('defect', 3), 'def'));
});
