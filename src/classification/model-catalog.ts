import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { syncDirectory, writeFileAtomically } from '../storage/durable-file.js';
import type { ModelChoice, ModelSource } from './worker-protocol.js';

/** A model's name: its folder in MODELS_DIR. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The file in MODELS_DIR that records which models run, so that the choice survives a restart. */
export const MODELS_STATE_FILE = 'active.json';

/** Activations kept in the state file, newest last. */
const HISTORY_KEPT = 100;

/** One model of the catalog, as listed. */
export interface CatalogEntry {
  readonly name: string;
  readonly dir: string;
  /** metadata.json, when it reads (labels, training date, held-out accuracy…). */
  readonly metadata: Record<string, unknown> | null;
  /** The model's report (report.md) exists. */
  readonly report: boolean;
  /** MODEL_DIR, outside MODELS_DIR: the model used until another is activated. */
  readonly builtIn: boolean;
}

/** What MODELS_DIR/active.json records. */
export interface ModelsState {
  readonly active: string;
  readonly shadow: string | null;
  /** Every activation, newest last: who was active when (null: active before the first one recorded). */
  readonly history: readonly { readonly name: string; readonly activatedAt: string | null }[];
}

/** A catalog model that cannot be used, or a state file naming one. */
export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
}

/**
 * The models a plant can choose from: one folder per model in MODELS_DIR (model.json, weights,
 * metadata.json, report.md), plus MODEL_DIR when it lies outside (the built-in model, under its
 * folder's name), and the record of which one is active (and which one shadows it). Plain files,
 * read by the gateway, the trainer and the models CLI alike.
 */
export class ModelCatalog {
  readonly dir: string;
  private readonly fallbackDir: string;

  /**
   * @param modelsDir MODELS_DIR
   * @param fallbackDir MODEL_DIR: the model used while MODELS_DIR records no choice.
   */
  constructor(modelsDir: string, fallbackDir: string) {
    this.dir = resolve(modelsDir);
    this.fallbackDir = resolve(fallbackDir);
  }

  get stateFile(): string {
    return join(this.dir, MODELS_STATE_FILE);
  }

  /** The model used while no choice is recorded (MODEL_DIR), by its folder's name. */
  get fallback(): ModelSource {
    return { name: basename(this.fallbackDir), dir: this.fallbackDir };
  }

  /** Every model, by name; MODEL_DIR among them when it lies outside MODELS_DIR. */
  async list(): Promise<CatalogEntry[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((name) => MODEL_NAME.test(name)).sort();
    } catch {
      names = [];
    }
    const entries: CatalogEntry[] = [];
    for (const name of names) {
      const dir = join(this.dir, name);
      if (await isFile(join(dir, 'model.json'))) entries.push(await entryOf(name, dir, false));
    }
    const { name, dir } = this.fallback;
    if (
      !this.inside(dir) &&
      !entries.some((entry) => entry.name === name) &&
      (await isFile(join(dir, 'model.json')))
    )
      entries.push(await entryOf(name, dir, true));
    return entries;
  }

  /** Where the model `name` is; throws `ModelNotFoundError` for a name of no model. */
  async source(name: string): Promise<ModelSource> {
    if (!MODEL_NAME.test(name))
      throw new ModelNotFoundError(`"${name}" is not a model name (letters, digits, . _ -, at most 64)`);
    const dir = join(this.dir, name);
    if (await isFile(join(dir, 'model.json'))) return { name, dir };
    if (name === this.fallback.name && (await isFile(join(this.fallbackDir, 'model.json'))))
      return this.fallback;
    throw new ModelNotFoundError(`no model ${name}: ${dir} holds no model.json`);
  }

  /** The recorded choice; undefined when none is; throws `ModelNotFoundError` for a damaged file. */
  async readState(): Promise<ModelsState | undefined> {
    let text: string;
    try {
      text = await readFile(this.stateFile, 'utf8');
    } catch {
      return undefined;
    }
    let state: Partial<ModelsState>;
    try {
      state = JSON.parse(text) as Partial<ModelsState>;
    } catch (error) {
      throw new ModelNotFoundError(`${this.stateFile} is not JSON: ${(error as Error).message}`);
    }
    if (typeof state.active !== 'string' || !MODEL_NAME.test(state.active))
      throw new ModelNotFoundError(`${this.stateFile}: "active" must name a model`);
    return {
      active: state.active,
      shadow: typeof state.shadow === 'string' ? state.shadow : null,
      history: Array.isArray(state.history) ? state.history : [],
    };
  }

  /**
   * The models to run at start-up: the recorded choice, else MODEL_DIR alone. A recorded active
   * model that is gone throws (start-up stops, naming it); a recorded shadow model that is gone
   * is left out, with `shadowProblem` saying why.
   */
  async startChoice(): Promise<{ choice: ModelChoice; shadowProblem?: string }> {
    const state = await this.readState();
    if (!state) return { choice: { active: this.fallback } };
    let active: ModelSource;
    try {
      active = await this.source(state.active);
    } catch (error) {
      throw new ModelNotFoundError(
        `${this.stateFile} names ${state.active} as the active model: ${(error as Error).message}` +
          ' (activate another with `npm run models -- activate <name> --offline`, or remove the file to use MODEL_DIR)',
      );
    }
    if (state.shadow === null) return { choice: { active } };
    try {
      return { choice: { active, shadow: await this.source(state.shadow) } };
    } catch (error) {
      return { choice: { active }, shadowProblem: (error as Error).message };
    }
  }

  /**
   * Records `choice` (atomically, durably). An active model other than the recorded one is
   * appended to the history, after `replaced` (the choice it replaces) when the history is empty.
   */
  async record(choice: ModelChoice, replaced?: ModelChoice, now: Date = new Date()): Promise<ModelsState> {
    const previous = await this.readState().catch(() => undefined);
    const history = [...(previous?.history ?? [])];
    if (history.length === 0 && replaced) history.push({ name: replaced.active.name, activatedAt: null });
    if (history.length === 0 || history[history.length - 1]!.name !== choice.active.name)
      history.push({ name: choice.active.name, activatedAt: now.toISOString() });
    const state: ModelsState = {
      active: choice.active.name,
      shadow: choice.shadow?.name ?? null,
      history: history.slice(-HISTORY_KEPT),
    };
    await writeFileAtomically(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
    await syncDirectory(this.dir);
    return state;
  }

  private inside(dir: string): boolean {
    const path = relative(this.dir, dir);
    return path !== '' && !path.startsWith('..') && !isAbsolute(path);
  }
}

/** The model that was active before the current one (what a rollback activates), if any. */
export function previousModel(state: ModelsState | undefined): string | undefined {
  if (!state) return undefined;
  for (let index = state.history.length - 1; index >= 0; index--) {
    const name = state.history[index]!.name;
    if (name !== state.active) return name;
  }
  return undefined;
}

async function entryOf(name: string, dir: string, builtIn: boolean): Promise<CatalogEntry> {
  let metadata: Record<string, unknown> | null = null;
  try {
    const parsed = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      metadata = parsed as Record<string, unknown>;
  } catch {
    // listed without it
  }
  return { name, dir, metadata, report: await isFile(join(dir, 'report.md')), builtIn };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
