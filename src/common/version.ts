import { readFileSync } from 'node:fs';

/** The gateway's version, from package.json (from dist/src/common/ or src/common/ alike). */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
