import { AnalysisStatus, confidenceFromScore, NO_CLASS, Verdict, type AnalysisResult } from '#protocol';
import { decide, type VerdictPolicy } from './verdict.js';
import type { JobOutcome, ModelInfo, ShadowOutcome } from './worker-protocol.js';

/** What a sidecar records of an analysis (its `analysis`), and what the gateway pushes from it. */
export interface AnalysisRecord {
  readonly status: 'analysed' | 'undecodable' | 'unavailable';
  readonly verdict: 'pass' | 'defect' | 'uncertain' | null;
  readonly label: string | null;
  readonly classIndex: number | null;
  readonly confidence: number | null;
  readonly scores: Record<string, number> | null;
  readonly backend: string | null;
  /** The model that classified the image: its name (its folder in MODELS_DIR) and its id (of its files). */
  readonly model: string | null;
  readonly modelId: string | null;
  readonly message?: string;
  readonly analysedAt: string;
  readonly timings: AnalysisTimings;
}

export interface AnalysisTimings {
  /** From the image being queued (stored, or found by the backlog scan) to its result. */
  readonly queuedMs: number;
  /** Of which waiting for the classifier, before its batch started. */
  readonly waitedMs?: number;
  /** Images classified in the same batch. */
  readonly batchSize?: number;
  readonly decodeMs: number | null;
  readonly inferenceMs: number | null;
}

const VERDICT_NAMES: Record<Verdict, 'pass' | 'defect' | 'uncertain'> = {
  [Verdict.Pass]: 'pass',
  [Verdict.Defect]: 'defect',
  [Verdict.Uncertain]: 'uncertain',
};

const VERDICT_CODES: Record<'pass' | 'defect' | 'uncertain', Verdict> = {
  pass: Verdict.Pass,
  defect: Verdict.Defect,
  uncertain: Verdict.Uncertain,
};

/** When and how an image went through the classifier, measured around its outcome. */
export interface OutcomeTiming {
  readonly queuedMs: number;
  readonly waitedMs?: number;
  readonly batchSize?: number;
}

/**
 * The analysis of one classifier outcome: the best class decides the verdict (see `decide`); a
 * failure is `undecodable` or `unavailable`, with its message. `closed` outcomes are not analyses
 * (the image waits for the next start) and must not be passed here.
 */
export function analysisOf(
  outcome: JobOutcome,
  model: ModelInfo,
  policy: VerdictPolicy,
  timing: OutcomeTiming,
  now: number,
): AnalysisRecord {
  const base = {
    backend: model.backend,
    model: model.name,
    modelId: model.modelId,
    analysedAt: new Date(now).toISOString(),
  };
  const { queuedMs, waitedMs, batchSize } = timing;
  if (!outcome.ok) {
    return {
      ...failure(outcome.reason === 'undecodable' ? 'undecodable' : 'unavailable', outcome.message, base),
      timings: { queuedMs, waitedMs, batchSize, decodeMs: null, inferenceMs: null },
    };
  }
  const decision = decide(outcome.scores, model.labels, policy);
  return {
    status: 'analysed',
    verdict: VERDICT_NAMES[decision.verdict],
    label: decision.label,
    classIndex: decision.classIndex,
    confidence: decision.score,
    scores: Object.fromEntries(model.labels.map((label, index) => [label, outcome.scores[index] ?? 0])),
    ...base,
    timings: { queuedMs, waitedMs, batchSize, decodeMs: outcome.decodeMs, inferenceMs: outcome.inferenceMs },
  };
}

/**
 * What a shadow model (a candidate classifying beside the active one) made of an image, in the
 * shape of an analysis: recorded in the sidecar's `shadow`, never pushed nor published.
 */
export function shadowAnalysisOf(
  shadow: ShadowOutcome,
  model: ModelInfo,
  policy: VerdictPolicy,
  now: number,
): AnalysisRecord {
  const outcome: JobOutcome = shadow.ok
    ? { id: 0, ok: true, scores: shadow.scores, decodeMs: 0, inferenceMs: shadow.inferenceMs }
    : { id: 0, ok: false, reason: 'failed', message: shadow.message };
  const analysis = analysisOf(outcome, model, policy, { queuedMs: 0 }, now);
  return {
    ...analysis,
    timings: { queuedMs: 0, decodeMs: null, inferenceMs: shadow.ok ? shadow.inferenceMs : null },
  };
}

/** An analysis that could not be made (analysis off, the classifier gave up on the image). */
export function unavailableAnalysis(
  message: string,
  model: ModelInfo | undefined,
  queuedMs: number,
  now: number,
): AnalysisRecord {
  const base = {
    backend: model?.backend ?? null,
    model: model?.name ?? null,
    modelId: model?.modelId ?? null,
    analysedAt: new Date(now).toISOString(),
  };
  return {
    ...failure('unavailable', message, base),
    timings: { queuedMs, decodeMs: null, inferenceMs: null },
  };
}

function failure(
  status: 'undecodable' | 'unavailable',
  message: string,
  base: Pick<AnalysisRecord, 'backend' | 'model' | 'modelId' | 'analysedAt'>,
): Omit<AnalysisRecord, 'timings'> {
  return {
    status,
    verdict: null,
    label: null,
    classIndex: null,
    confidence: null,
    scores: null,
    message,
    ...base,
  };
}

/** The op-4 frame that tells device `deviceId` its image's analysis. */
export function resultFrameOf(analysis: AnalysisRecord, deviceId: number): AnalysisResult {
  if (analysis.status !== 'analysed' || analysis.verdict === null) {
    return {
      kind: 'analysis-result',
      deviceId,
      status: analysis.status === 'undecodable' ? AnalysisStatus.Undecodable : AnalysisStatus.Unavailable,
      verdict: Verdict.Uncertain,
      classIndex: NO_CLASS,
      confidence: 0,
      label: '',
    };
  }
  return {
    kind: 'analysis-result',
    deviceId,
    status: AnalysisStatus.Analysed,
    verdict: VERDICT_CODES[analysis.verdict],
    classIndex: analysis.classIndex ?? NO_CLASS,
    confidence: confidenceFromScore(analysis.confidence ?? 0),
    label: analysis.label ?? '',
  };
}

/** The verdict (or failure status) of an analysis, as the `classified` event names it. */
export function verdictOf(analysis: AnalysisRecord): Verdict | 'undecodable' | 'unavailable' {
  return analysis.status === 'analysed' && analysis.verdict !== null
    ? VERDICT_CODES[analysis.verdict]
    : analysis.status === 'analysed'
      ? 'unavailable'
      : analysis.status;
}
