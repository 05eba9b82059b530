import type { BenchMode, BenchScale } from './bench-options.js';
import type { Figure } from './figures.js';
import type { BenchAssets } from './assets.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { GatewayChild } from './gateway-child.js';

/** What every section gets: the scale of the run, somewhere to work, and where results go. */
export interface BenchContext {
  readonly mode: BenchMode;
  readonly scale: BenchScale;
  /** A fresh folder for this run's children (storage, logs, profiles). */
  readonly workDir: string;
  /** Run the gateway children under `--cpu-prof`. */
  readonly profile: boolean;
  readonly assets: BenchAssets;
  /** A progress line on stderr. */
  progress(message: string): void;
  /** Prints a figure's line on stdout and keeps it for the report. */
  record(figure: Figure): void;
  /** A remark for the report (how something was measured, a fallback taken). */
  note(text: string): void;
  /** Keeps the hot functions of a profiled child for the report. */
  addProfile(summary: ProfileSummary): void;
  /** Gateway children kept running between sections (`scale.shareGateways`), by their settings. */
  readonly sharedGateways: Map<string, GatewayChild>;
}
