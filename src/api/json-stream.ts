import { Readable } from 'node:stream';
import { StreamableFile } from '@nestjs/common';

/** Items serialized per chunk: each chunk is one short piece of work for the event loop. */
const ITEMS_PER_CHUNK = 64;

function* chunks(before: string, items: readonly unknown[], after: string): Generator<string> {
  yield `${before}[`;
  for (let start = 0; start < items.length; start += ITEMS_PER_CHUNK) {
    const json = items
      .slice(start, start + ITEMS_PER_CHUNK)
      .map((item) => JSON.stringify(item))
      .join(',');
    yield start === 0 ? json : `,${json}`;
  }
  yield `]${after}`;
}

/**
 * A JSON object with one large array, written out a chunk at a time as the client reads it
 * (`{"items":[…],"next":…}`): a large answer never holds the event loop for its whole length.
 * `before` ends with the array's key (`{"items":`), `after` closes the object (`,"next":null}`).
 */
export function streamJsonArray(before: string, items: readonly unknown[], after: string): StreamableFile {
  return new StreamableFile(Readable.from(chunks(before, items, after), { objectMode: false }), {
    type: 'application/json; charset=utf-8',
  });
}
