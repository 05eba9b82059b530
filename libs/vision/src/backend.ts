import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { BackendAttempt, BackendUnavailableError } from './errors.js';

/** The TensorFlow.js namespace every part of the library works with (one shared tfjs-core instance). */
export type Tf = typeof tf;

/** `auto` is the same as `tensorflow`: the fastest backend first, falling back down the chain. */
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface SelectedBackend {
  readonly tf: Tf;
  /** Name of the active backend as tfjs reports it: `tensorflow`, `wasm` or `cpu`. */
  readonly backend: string;
  /** Backends tried before the chosen one and why each was not used (empty when the first choice worked). */
  readonly fallbacks: readonly BackendAttempt[];
}

export interface SelectBackendOptions {
  /**
   * Put tfjs in production mode (default true): skips debug checks and silences tfjs's own console
   * advice about installing tfjs-node, so that choosing a backend logs nothing.
   */
  readonly productionMode?: boolean;
}

type Candidate = 'tensorflow' | 'wasm' | 'cpu';

const CHAINS: Readonly<Record<BackendPreference, readonly Candidate[]>> = {
  auto: ['tensorflow', 'wasm', 'cpu'],
  tensorflow: ['tensorflow', 'wasm', 'cpu'],
  wasm: ['wasm', 'cpu'],
  cpu: ['cpu'],
};

/** Package name held in a variable so the compiler does not require the optional dependency's types. */
const TFJS_NODE = '@tensorflow/tfjs-node';
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/**
 * Chooses and activates a TensorFlow.js backend: the native `tensorflow` backend when the optional
 * `@tensorflow/tfjs-node` package is installed, otherwise WebAssembly, otherwise plain JavaScript
 * (`cpu`). The preference names where to start in that chain. Logs nothing; the caller reports the
 * returned choice (and `fallbacks`) as it sees fit.
 */
export async function selectBackend(
  preference: BackendPreference = 'auto',
  options: SelectBackendOptions = {},
): Promise<SelectedBackend> {
  if (options.productionMode ?? true) tf.enableProdMode();
  const fallbacks: BackendAttempt[] = [];
  for (const candidate of CHAINS[preference]) {
    const failure = await activate(candidate);
    if (failure === undefined) return { tf, backend: tf.getBackend(), fallbacks };
    fallbacks.push({ backend: candidate, reason: failure });
  }
  throw new BackendUnavailableError(fallbacks);
}

/** Activates one backend; returns why it failed, or undefined on success. */
async function activate(candidate: Candidate): Promise<string | undefined> {
  try {
    if (candidate === 'tensorflow') await import(TFJS_NODE);
    if (candidate === 'wasm') configureWasmPaths();
    const ok = await tf.setBackend(candidate);
    if (!ok) return 'backend failed to initialise';
    await tf.ready();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Directory (with trailing slash) holding the wasm backend's .wasm binaries, resolved at run time. */
export function wasmBinariesDirectory(): string {
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve(`${WASM_PACKAGE}/dist/tfjs-backend-wasm.wasm`))}/`;
}

let wasmPathsConfigured = false;

/** Paths can only be set before the wasm backend first initialises; later calls are no-ops. */
function configureWasmPaths(): void {
  if (wasmPathsConfigured) return;
  setWasmPaths(wasmBinariesDirectory());
  wasmPathsConfigured = true;
}
