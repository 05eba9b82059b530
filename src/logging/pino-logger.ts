import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';
import type { Environment, LogLevel } from '../config/index.js';

/** Our level names → pino's (Nest's `log` and `verbose` map onto `info` and `trace`). */
const PINO_LEVELS: Record<LogLevel, pino.Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'trace',
};

function usesJson(env: Environment): boolean {
  if (env.LOG_FORMAT !== 'auto') return env.LOG_FORMAT === 'json';
  return process.env.NODE_ENV === 'production';
}

/** pino-pretty is a development dependency: without it, readable logs fall back to JSON. */
function prettyTransport(): pino.DestinationStream | undefined {
  try {
    return pino.transport({
      target: 'pino-pretty',
      options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    });
  } catch {
    return undefined;
  }
}

export function createPino(env: Environment): Pino {
  const options = { level: PINO_LEVELS[env.LOG_LEVEL], base: { service: 'cable-inspector' } };
  const destination = usesJson(env) ? undefined : prettyTransport();
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Nest's logger interface over pino: every Nest and gateway log line becomes one structured
 * record (`context` names the class that wrote it). An object as first argument is logged as
 * fields, so `logger.log({ msg: 'transfer completed', deviceId })` stays queryable.
 */
export class PinoLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    // Nest passes the context last; error() passes a stack before it.
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const stack = level === 'error' && rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    if (message instanceof Error) {
      this.pino[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...fields } = message as Record<string, unknown>;
      this.pino[level]({ context, ...fields }, typeof msg === 'string' ? msg : undefined);
    } else {
      this.pino[level]({ context, stack }, String(message));
    }
  }
}
