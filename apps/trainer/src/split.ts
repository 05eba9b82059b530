/** Seeded, stratified train / validation / test split. */

export interface Split {
  readonly train: readonly number[];
  readonly validation: readonly number[];
  readonly test: readonly number[];
}

export interface SplitFractions {
  /** Share of each class held out for the final test (never seen during training). */
  readonly test: number;
  /** Share of each class used to watch training (curves, best epoch). */
  readonly validation: number;
}

/**
 * Splits item indices class by class, so every part keeps the class proportions. Within a class the
 * order is a seeded shuffle, or with `newness` (a time per item) newest first, so that the test part
 * holds the newest items and validation the next newest; every class with at least three items puts
 * at least one item in each part. Returned index lists are sorted.
 */
export function stratifiedSplit(
  classOf: readonly number[],
  fractions: SplitFractions,
  seed: number,
  newness?: readonly number[],
): Split {
  if (fractions.test < 0 || fractions.validation < 0 || fractions.test + fractions.validation >= 1) {
    throw new Error('test and validation fractions must be >= 0 and sum to less than 1');
  }
  const byClass = new Map<number, number[]>();
  classOf.forEach((cls, index) => byClass.set(cls, [...(byClass.get(cls) ?? []), index]));
  const split = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffled(byClass.get(cls) ?? [], seed * 1000003 + cls);
    if (newness) {
      const time = (index: number) => newness[index] ?? -Infinity;
      members.sort((a, b) => (time(a) === time(b) ? 0 : time(b) > time(a) ? 1 : -1));
    }
    const n = members.length;
    const atLeastOne = (fraction: number) =>
      fraction > 0 && n >= 3 ? Math.max(1, Math.round(n * fraction)) : Math.round(n * fraction);
    const test = atLeastOne(fractions.test);
    const validation = atLeastOne(fractions.validation);
    split.test.push(...members.slice(0, test));
    split.validation.push(...members.slice(test, test + validation));
    split.train.push(...members.slice(test + validation));
  }
  const sorted = (a: number[]) => a.sort((x, y) => x - y);
  return { train: sorted(split.train), validation: sorted(split.validation), test: sorted(split.test) };
}

/** Fisher-Yates with a seeded generator; does not modify `items`. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Small seeded generator, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
