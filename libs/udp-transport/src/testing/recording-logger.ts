import type { LoggerService } from '@nestjs/common';

/** Test support: a logger that keeps what it is given instead of printing it. */
export class RecordingLogger implements LoggerService {
  readonly entries: { level: string; message: string }[] = [];

  log(message: unknown): void {
    this.entries.push({ level: 'log', message: String(message) });
  }

  error(message: unknown): void {
    this.entries.push({ level: 'error', message: String(message) });
  }

  warn(message: unknown): void {
    this.entries.push({ level: 'warn', message: String(message) });
  }

  debug(message: unknown): void {
    this.entries.push({ level: 'debug', message: String(message) });
  }

  verbose(message: unknown): void {
    this.entries.push({ level: 'verbose', message: String(message) });
  }

  /** Messages logged at `level`. */
  at(level: string): string[] {
    return this.entries.filter((entry) => entry.level === level).map((entry) => entry.message);
  }
}
