import { clamp, noiseTable, valueNoise } from './noise.js';
import { Wood } from './scene.js';

/**
 * Paints a wooden desk top (raw RGB, row-major): streaks across the grain from 1-D value noise at a few
 * scales, bent by slow waves along the grain, plus broad growth-ring bands. Computed directly rather
 * than with an SVG turbulence filter, which is several times slower at this size.
 */
export function paintWood(wood: Wood, width: number, height: number): Buffer {
  const table = noiseTable(wood.grainSeed);
  const out = Buffer.alloc(width * height * 3);
  const cos = Math.cos(wood.grainAngle);
  const sin = Math.sin(wood.grainAngle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const along = x * cos + y * sin;
      let across = -x * sin + y * cos;
      for (const wave of wood.waves) across += wave.amplitude * Math.sin(along * wave.frequency + wave.phase);
      let shade = 0;
      for (const streak of wood.streaks)
        shade += streak.weight * valueNoise(table, across / streak.scale + streak.scale);
      for (const band of wood.bands) {
        const d = (across - band.offset) / band.width;
        shade += band.strength * Math.exp(-d * d);
      }
      const k = 1 - wood.grainStrength * shade;
      const i = (y * width + x) * 3;
      out[i] = clamp(wood.base[0] * k);
      out[i + 1] = clamp(wood.base[1] * k * (1 - 0.04 * shade));
      out[i + 2] = clamp(wood.base[2] * k * (1 - 0.08 * shade));
    }
  }
  return out;
}
