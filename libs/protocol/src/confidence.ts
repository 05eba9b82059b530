/** The op-4 confidence: a model score carried as basis points. */
import { CONFIDENCE_SCALE } from './codes.js';

/**
 * A model score in 0..1 as the basis points the analysis result carries (0..10000), rounded
 * to the nearest point. Scores a little outside 0..1 (floating-point noise) are clamped.
 *
 * @throws RangeError when the score is not a finite number.
 */
export function confidenceFromScore(score: number): number {
  if (!Number.isFinite(score)) throw new RangeError(`score must be a finite number, got ${String(score)}`);
  const points = Math.round(score * CONFIDENCE_SCALE);
  return Math.min(CONFIDENCE_SCALE, Math.max(0, points));
}
