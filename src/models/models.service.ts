import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { ClassificationService } from '../classification/classification.service.js';
import { ModelSwapError } from '../classification/model-requests.js';
import { verdictPolicyFrom } from '../classification/verdict.js';
import type { ModelChoice, ModelInfo } from '../classification/worker-protocol.js';
import { Environment } from '../config/index.js';
import { METRIC } from '../metrics/metric-names.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ResultsService } from '../results/results.service.js';
import { ModelCatalog, ModelNotFoundError, previousModel, type ModelsState } from '../classification/model-catalog.js';
import { compareModels, type ModelComparison } from './model-comparison.js';

/** One model of `GET /api/models`. */
export interface ModelListing {
  readonly name: string;
  readonly active: boolean;
  readonly shadow: boolean;
  /** MODEL_DIR, outside MODELS_DIR. */
  readonly builtIn: boolean;
  readonly labels: readonly string[] | null;
  readonly trainedAt: string | null;
  /** On the held-out images of its training, as its metadata says. */
  readonly heldOutAccuracy: number | null;
  /** Where its report is, when it has one. */
  readonly report: string | null;
  readonly metadata: Record<string, unknown> | null;
}

/** `GET /api/models` */
export interface ModelsOverview {
  /** The model chosen (the one classifying, or to classify once the classifier is back). */
  readonly active: string | null;
  readonly shadow: string | null;
  /** What a rollback activates: the model active before this one. */
  readonly previous: string | null;
  /** The models the classifier process runs now, with their ids; null while it is down or analysis is off. */
  readonly running: { readonly active: ModelInfo; readonly shadow: ModelInfo | null } | null;
  readonly history: ModelsState['history'];
  readonly models: readonly ModelListing[];
}

/** The choice ran but could not be written down: the models before it run again. */
export class ModelChoiceNotRecordedError extends Error {
  override readonly name = 'ModelChoiceNotRecordedError';
}

/**
 * The models as versions: lists MODELS_DIR, activates one (or starts and stops a shadow one) in
 * the running classifier without a restart, records the choice so that it survives one, and
 * compares the models on the images they classified. Changes are made one at a time.
 */
@Injectable()
export class ModelsService {
  private readonly logger = new Logger('Models');
  private changes: Promise<unknown> = Promise.resolve();
  private readonly passLabels: ReadonlySet<string>;

  constructor(
    env: Environment,
    private readonly catalog: ModelCatalog,
    private readonly classification: ClassificationService,
    private readonly results: ResultsService,
    metrics: MetricsService,
  ) {
    this.passLabels = verdictPolicyFrom(env.PASS_LABELS, env.CONFIDENCE_THRESHOLD).passLabels;
    const info: Gauge<'role' | 'model' | 'model_id'> = new Gauge({
      name: METRIC.modelInfo,
      help: 'The models the classifier runs: role active or shadow, their name and id (always 1).',
      labelNames: ['role', 'model', 'model_id'],
      registers: [metrics.registry],
      collect: () => {
        info.reset();
        const running = this.classification.models;
        if (running) info.labels('active', running.active.name, running.active.modelId).set(1);
        if (running?.shadow) info.labels('shadow', running.shadow.name, running.shadow.modelId).set(1);
      },
    });
  }

  async overview(): Promise<ModelsOverview> {
    const state = await this.catalog.readState().catch(() => undefined);
    const choice = this.classification.choice;
    const active = choice?.active.name ?? state?.active ?? this.catalog.fallback.name;
    const shadow = choice ? (choice.shadow?.name ?? null) : (state?.shadow ?? null);
    const running = this.classification.models;
    return {
      active,
      shadow,
      previous: previousModel(state) ?? null,
      running: running ? { active: running.active, shadow: running.shadow ?? null } : null,
      history: state?.history ?? [],
      models: (await this.catalog.list()).map((entry) => ({
        name: entry.name,
        active: entry.name === active,
        shadow: entry.name === shadow,
        builtIn: entry.builtIn,
        labels: Array.isArray(entry.metadata?.labels) ? (entry.metadata.labels as string[]) : null,
        trainedAt: typeof entry.metadata?.trainedAt === 'string' ? entry.metadata.trainedAt : null,
        heldOutAccuracy:
          typeof entry.metadata?.heldOutAccuracy === 'number' ? entry.metadata.heldOutAccuracy : null,
        report: entry.report ? `/api/models/${entry.name}/report` : null,
        metadata: entry.metadata,
      })),
    };
  }

  /**
   * Makes `name` the active model (a shadow of that name stops shadowing it). Throws
   * `ModelNotFoundError`, `ModelSwapError` or `ModelChoiceNotRecordedError`; the models in use
   * keep running on every failure.
   */
  activate(name: string): Promise<ModelsOverview> {
    return this.oneAtATime(async () => {
      const current = this.currentChoice();
      const source = await this.catalog.source(name);
      const shadow = current.shadow?.name === name ? undefined : current.shadow;
      await this.change(current, { active: source, shadow });
      this.logger.log({ msg: 'model activated', model: name, previous: current.active.name });
      return this.overview();
    });
  }

  /** Starts `name` classifying beside the active model (shadow mode), or stops it (`null`). */
  setShadow(name: string | null): Promise<ModelsOverview> {
    return this.oneAtATime(async () => {
      const current = this.currentChoice();
      if (name === current.active.name)
        throw new ModelSwapError('refused', `${name} is the active model: it cannot shadow itself`);
      const shadow = name === null ? undefined : await this.catalog.source(name);
      await this.change(current, { active: current.active, shadow });
      this.logger.log({ msg: name === null ? 'shadow mode off' : 'shadow model on', model: name ?? current.shadow?.name });
      return this.overview();
    });
  }

  /** The report.md of a model. */
  async report(name: string): Promise<string> {
    const source = await this.catalog.source(name);
    try {
      return await readFile(join(source.dir, 'report.md'), 'utf8');
    } catch {
      throw new ModelNotFoundError(`model ${name} has no report.md`);
    }
  }

  /** The models compared on the images of the index: agreement, and accuracy on the reviewed ones. */
  compare(): ModelComparison {
    const choice = this.classification.choice;
    return compareModels(
      [...this.results.images.newest()].map((image) => image.record),
      this.passLabels,
      choice ? { active: choice.active.name, shadow: choice.shadow?.name } : undefined,
    );
  }

  private currentChoice(): ModelChoice {
    const current = this.classification.choice;
    if (!current) throw new ModelSwapError('disabled', 'analysis is disabled (ANALYSIS_ENABLED=false)');
    return current;
  }

  /** Runs `next`, then records it; if it cannot be recorded, runs `current` again and says so. */
  private async change(current: ModelChoice, next: ModelChoice): Promise<void> {
    await this.classification.useModels(next);
    try {
      await this.catalog.record(next, current);
    } catch (error) {
      await this.classification.useModels(current).catch(() => undefined);
      throw new ModelChoiceNotRecordedError(
        `the choice could not be recorded in ${this.catalog.stateFile} (${(error as Error).message}): ` +
          'the models before it run again',
      );
    }
  }

  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.changes.then(work, work);
    this.changes = run.catch(() => undefined);
    return run;
  }
}
