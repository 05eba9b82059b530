import { Verdict } from '#protocol';

/** How labels and scores turn into a verdict. */
export interface VerdictPolicy {
  /** Labels that mean a good cable. */
  readonly passLabels: ReadonlySet<string>;
  /** A best score under this is uncertain. */
  readonly confidenceThreshold: number;
}

export interface Decision {
  readonly verdict: Verdict;
  readonly classIndex: number;
  readonly label: string;
  /** The best score, 0..1. */
  readonly score: number;
}

export function verdictPolicyFrom(passLabels: string, confidenceThreshold: number): VerdictPolicy {
  const labels = passLabels
    .split(',')
    .map((label) => label.trim())
    .filter((label) => label.length > 0);
  return { passLabels: new Set(labels), confidenceThreshold };
}

/** The best class decides: under the threshold uncertain, else pass for a pass label, else defect. */
export function decide(
  scores: readonly number[],
  labels: readonly string[],
  policy: VerdictPolicy,
): Decision {
  if (scores.length === 0) throw new RangeError('no scores to decide from');
  let best = 0;
  for (let index = 1; index < scores.length; index++) if (scores[index]! > scores[best]!) best = index;
  const score = scores[best]!;
  const label = labels[best] ?? `class-${best}`;
  const verdict =
    score < policy.confidenceThreshold
      ? Verdict.Uncertain
      : policy.passLabels.has(label)
        ? Verdict.Pass
        : Verdict.Defect;
  return { verdict, classIndex: best, label, score };
}
