/** Classification metrics from a confusion matrix. */

/** rows = actual class, columns = predicted class. */
export type ConfusionMatrix = number[][];

export function confusionMatrix(
  actual: readonly number[],
  predicted: readonly number[],
  classes: number,
): ConfusionMatrix {
  if (actual.length !== predicted.length) throw new Error('actual and predicted differ in length');
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  actual.forEach((a, i) => {
    const p = predicted[i];
    if (!(a >= 0 && a < classes && p >= 0 && p < classes)) throw new Error(`class out of range at ${i}`);
    matrix[a][p]++;
  });
  return matrix;
}

export function accuracy(matrix: ConfusionMatrix): number {
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = matrix.reduce((sum, row, i) => sum + row[i], 0);
  return total === 0 ? 0 : correct / total;
}

export interface ClassMetrics {
  /** Of the images predicted as this class, the share that were (NaN if none predicted). */
  readonly precision: number;
  /** Of the images of this class, the share found (NaN if none present). */
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

export function perClassMetrics(matrix: ConfusionMatrix): ClassMetrics[] {
  return matrix.map((row, c) => {
    const truePositives = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((sum, r) => sum + r[c], 0);
    const precision = predicted === 0 ? NaN : truePositives / predicted;
    const recall = support === 0 ? NaN : truePositives / support;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1: Number.isNaN(f1) ? NaN : f1, support };
  });
}
