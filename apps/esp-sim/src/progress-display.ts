import { BYTES_PER_MB } from './fleet-summary.js';
import type { FleetProgress } from './fleet.js';

/** Where progress goes: a terminal gets one line rewritten in place, anything else periodic lines. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Refresh period on a terminal. */
const TTY_REFRESH_MS = 200;

/** Period of the progress lines when the output is not a terminal (a log file, a pipe, CI). */
const LINE_PERIOD_MS = 2000;

/** Erases the terminal line and returns to its start. */
const CLEAR_LINE = '\r\x1b[2K';

/** One line describing a run in progress. */
export function progressLine(label: string, progress: FleetProgress): string {
  const seconds = progress.elapsedMs / 1000;
  const rate = seconds > 0 ? progress.okBytes / BYTES_PER_MB / seconds : 0;
  return (
    `${label} ${seconds.toFixed(1)} s: ${progress.finished}/${progress.expected} transfers ` +
    `(${progress.ok} ok, ${progress.failed} failed, ${progress.uploading} uploading), ` +
    `${rate.toFixed(2)} MB/s, ${progress.resent} packets resent, ${progress.timeouts} timeouts`
  );
}

/**
 * Shows a run's progress until stopped: on a terminal one line, rewritten five times a second; on
 * anything else a line every two seconds.
 */
export class ProgressDisplay {
  private readonly timer: NodeJS.Timeout;
  private readonly tty: boolean;

  constructor(
    private readonly stream: ProgressStream,
    private readonly progress: FleetProgress,
    private readonly label = 'esp-sim',
  ) {
    this.tty = stream.isTTY === true;
    this.timer = setInterval(() => this.show(), this.tty ? TTY_REFRESH_MS : LINE_PERIOD_MS);
    this.timer.unref();
  }

  /** Stops the display; on a terminal the progress line is erased. */
  stop(): void {
    clearInterval(this.timer);
    if (this.tty) this.stream.write(CLEAR_LINE);
  }

  private show(): void {
    const line = progressLine(this.label, this.progress);
    this.stream.write(this.tty ? `${CLEAR_LINE}${line}` : `${line}\n`);
  }
}
