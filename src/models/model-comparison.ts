import type { AnalysisRecord } from '../classification/analysis-record.js';
import type { ImageRecord } from '../storage/image-record.js';
import { analysisOf } from '../results/image-summary.js';

/** How one model did on the reviewed images it classified. */
export interface ModelScore {
  readonly model: string;
  /** Images it classified (among those compared). */
  readonly images: number;
  /** Of which a person reviewed. */
  readonly reviewed: number;
  /** Reviewed images it gave the reviewer's label; null without reviewed images. */
  readonly accuracy: number | null;
  /** Per reviewer's label: how many, and the share it found (its recall). */
  readonly recall: Readonly<Record<string, { readonly reviewed: number; readonly recall: number }>>;
  /** Reviewed as a defect (a label not in PASS_LABELS) and passed by the model: the costly mistakes. */
  readonly falsePasses: number;
}

/** The active model and a shadow one, on the images both classified. */
export interface PairComparison {
  readonly active: string;
  readonly shadow: string;
  readonly images: number;
  /** The share of those images both gave the same label; null without images. */
  readonly agreement: number | null;
  readonly reviewed: number;
  /** The active model's score and the shadow model's, on the same images. */
  readonly scores: readonly [ModelScore, ModelScore];
}

export interface ModelComparison {
  /** Images looked at (those of the index), and the pairs of active and shadow models among them. */
  readonly images: number;
  readonly pairs: readonly PairComparison[];
  /** Every model, over every reviewed image it classified (as the active model or as a shadow). */
  readonly models: readonly ModelScore[];
}

interface Judged {
  readonly model: string;
  readonly label: string;
  readonly verdict: AnalysisRecord['verdict'];
}

/** What the model made of the image, when it classified it (an analysis that failed does not count). */
function judged(analysis: AnalysisRecord | undefined): Judged | undefined {
  if (!analysis || analysis.status !== 'analysed' || analysis.label === null) return undefined;
  return { model: analysis.model ?? analysis.modelId ?? 'unknown', label: analysis.label, verdict: analysis.verdict };
}

class ScoreCounter {
  images = 0;
  reviewed = 0;
  correct = 0;
  falsePasses = 0;
  private readonly perLabel = new Map<string, { reviewed: number; found: number }>();

  constructor(readonly model: string) {}

  add(judgement: Judged, reviewLabel: string | undefined, passLabels: ReadonlySet<string>): void {
    this.images++;
    if (reviewLabel === undefined) return;
    this.reviewed++;
    const label = this.perLabel.get(reviewLabel) ?? { reviewed: 0, found: 0 };
    label.reviewed++;
    if (judgement.label === reviewLabel) {
      this.correct++;
      label.found++;
    }
    this.perLabel.set(reviewLabel, label);
    if (!passLabels.has(reviewLabel) && judgement.verdict === 'pass') this.falsePasses++;
  }

  score(): ModelScore {
    const recall = Object.fromEntries(
      [...this.perLabel.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([label, { reviewed, found }]) => [label, { reviewed, recall: round(found / reviewed) }]),
    );
    return {
      model: this.model,
      images: this.images,
      reviewed: this.reviewed,
      accuracy: this.reviewed === 0 ? null : round(this.correct / this.reviewed),
      recall,
      falsePasses: this.falsePasses,
    };
  }
}

const round = (value: number): number => Math.round(value * 10_000) / 10_000;

/**
 * Compares the models that classified `records`: each pair of an active model and its shadow on
 * the images both classified (how often they agree, and how each did on the reviewed ones), and
 * each model alone on every reviewed image it classified. `first`: the pair listed first (the
 * one running now).
 */
export function compareModels(
  records: Iterable<ImageRecord>,
  passLabels: ReadonlySet<string>,
  first?: { readonly active: string; readonly shadow?: string },
): ModelComparison {
  let images = 0;
  const models = new Map<string, ScoreCounter>();
  const pairs = new Map<string, { active: ScoreCounter; shadow: ScoreCounter; agreeing: number }>();
  const counter = (map: Map<string, ScoreCounter>, model: string) => {
    const found = map.get(model) ?? new ScoreCounter(model);
    map.set(model, found);
    return found;
  };
  for (const record of records) {
    images++;
    const reviewLabel = record.review?.label;
    const active = judged(analysisOf(record));
    const shadow = judged(shadowOf(record));
    if (active) counter(models, active.model).add(active, reviewLabel, passLabels);
    if (shadow) counter(models, shadow.model).add(shadow, reviewLabel, passLabels);
    if (!active || !shadow) continue;
    const key = `${active.model}\n${shadow.model}`;
    const pair = pairs.get(key) ?? {
      active: new ScoreCounter(active.model),
      shadow: new ScoreCounter(shadow.model),
      agreeing: 0,
    };
    pairs.set(key, pair);
    pair.active.add(active, reviewLabel, passLabels);
    pair.shadow.add(shadow, reviewLabel, passLabels);
    if (active.label === shadow.label) pair.agreeing++;
  }
  const compared = [...pairs.values()].map(
    ({ active, shadow, agreeing }): PairComparison => ({
      active: active.model,
      shadow: shadow.model,
      images: active.images,
      agreement: active.images === 0 ? null : round(agreeing / active.images),
      reviewed: active.reviewed,
      scores: [active.score(), shadow.score()],
    }),
  );
  const isFirst = (pair: PairComparison) => pair.active === first?.active && pair.shadow === first?.shadow;
  compared.sort((a, b) => Number(isFirst(b)) - Number(isFirst(a)) || b.images - a.images);
  return {
    images,
    pairs: compared,
    models: [...models.values()].map((model) => model.score()).sort((a, b) => b.reviewed - a.reviewed),
  };
}

/** The shadow analysis of a record, when its sidecar has one that reads as such. */
export function shadowOf(record: ImageRecord): AnalysisRecord | undefined {
  const shadow = record.shadow as AnalysisRecord | undefined;
  return typeof shadow === 'object' && shadow !== null && typeof shadow.status === 'string' ? shadow : undefined;
}
