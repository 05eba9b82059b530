/**
 * The label of the op-4 analysis result: printable ASCII only, short enough for the 32-byte
 * reply limit.
 */
import { MAX_LABEL_BYTES } from './limits.js';

/** First printable ASCII character (space). */
const FIRST_PRINTABLE = 0x20;

/** Last printable ASCII character (`~`). */
const LAST_PRINTABLE = 0x7e;

/** What replaces a character that is not printable ASCII. */
export const LABEL_REPLACEMENT = '?';

/** True when the character code is printable ASCII (space to `~`). */
export function isPrintableAscii(code: number): boolean {
  return code >= FIRST_PRINTABLE && code <= LAST_PRINTABLE;
}

/**
 * The label as the device will see it: every character (code point, so an emoji counts once)
 * that is not printable ASCII becomes {@link LABEL_REPLACEMENT}, then the result is cut to
 * `maxBytes` characters (one byte each once sanitised).
 *
 * @param maxBytes room left in the frame; defaults to {@link MAX_LABEL_BYTES}.
 */
export function sanitizeLabel(label: string, maxBytes: number = MAX_LABEL_BYTES): string {
  let sanitized = '';
  for (const character of label) {
    if (sanitized.length >= maxBytes) break;
    const code = character.codePointAt(0) ?? 0;
    sanitized += isPrintableAscii(code) ? character : LABEL_REPLACEMENT;
  }
  return sanitized;
}
