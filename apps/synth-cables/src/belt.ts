import type { Belt } from './scene.js';
import { clamp, noiseTable, valueNoise } from './noise.js';

/**
 * Paints a ribbed rubber conveyor belt (raw RGB, row-major): grooves across the direction it
 * runs, soft-edged, a faint sheen on each rib, and blotches of grime from 2-D value noise.
 */
export function paintBelt(belt: Belt, width: number, height: number): Buffer {
  const table = noiseTable(belt.grimeSeed);
  const out = Buffer.alloc(width * height * 3);
  const cos = Math.cos(belt.angle);
  const sin = Math.sin(belt.angle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const along = x * cos + y * sin;
      const across = -x * sin + y * cos;
      // 0 in the middle of a rib, 1 at the bottom of a groove.
      const phase = (((along / belt.ribPitch) % 1) + 1) % 1;
      const groove = Math.max(0, 1 - Math.abs(phase - 0.5) * 5);
      const sheen = Math.max(0, 1 - Math.abs(phase - 0.2) * 8) * 0.12;
      const grime =
        valueNoise(table, along / 23 + valueNoise(table, across / 31 + 400) * 6) *
        valueNoise(table, across / 17 + 700);
      const k = (1 - belt.ribDepth * groove + sheen) * (1 - belt.grime * grime);
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) out[i + c] = clamp(belt.base[c]! * k);
    }
  }
  return out;
}
