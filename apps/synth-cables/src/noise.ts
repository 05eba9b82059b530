import { Prng } from './prng.js';

// Value noise and the pixel clamp the painted textures (wood, belt) share.

const TABLE_SIZE = 1024;

/** The random values `valueNoise` interpolates, from `seed`. */
export function noiseTable(seed: number): Float32Array {
  const rng = new Prng(seed);
  return Float32Array.from({ length: TABLE_SIZE }, () => rng.next());
}

/** Smoothly interpolated random values at integer positions, in [0, 1]. */
export function valueNoise(table: Float32Array, position: number): number {
  const floor = Math.floor(position);
  const t = position - floor;
  const a = table[((floor % TABLE_SIZE) + TABLE_SIZE) % TABLE_SIZE];
  const b = table[(((floor + 1) % TABLE_SIZE) + TABLE_SIZE) % TABLE_SIZE];
  const s = t * t * (3 - 2 * t);
  return a + (b - a) * s;
}

/** A channel value rounded into 0..255. */
export function clamp(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
