import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { Setting } from './setting.decorator.js';
import { parseInteger, LOG_LEVELS, LOG_FORMATS, type LogFormat, type LogLevel } from './setting-values.js';
import { DeliverySettings } from './delivery-settings.js';

export type { InferenceBackendChoice, LogFormat, LogLevel } from './setting-values.js';

/**
 * Every setting of the gateway, read from environment variables, with its default: one property a
 * variable, declared in the classes it extends by concern (sockets, transfers, classification,
 * delivery) and here (operations: logs, shutdown, disk and retention). The README's configuration
 * table is checked against it.
 */
export class Environment extends DeliverySettings {
  @Setting({
    accepts: 'json, pretty or auto',
    description:
      'Log format: one JSON object a line, or readable lines. auto: json when NODE_ENV=production.',
  })
  @IsIn(LOG_FORMATS)
  LOG_FORMAT: LogFormat = 'auto';

  @Setting({
    accepts: 'an integer from 0 to 3600000',
    description:
      'On SIGTERM, how long images being written may take before the gateway exits anyway. Transfers in progress are ' +
      'not waited for: they stay in the spool and resume in the next process.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  SHUTDOWN_GRACE_MS = 10_000;

  @Setting({
    accepts: 'an integer from 0 upwards',
    description:
      'Readiness fails when the storage file system has less free space than this many bytes; retention removes ' +
      'the oldest images ahead of it, so that uploads go on.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  MIN_FREE_DISK_BYTES = 100 * 1024 ** 2;

  @Setting({
    accepts:
      "a number of bytes (0: no cap), or a percentage of the storage file system's size, from 1% to 100%",
    description:
      'Most room the images and their sidecars may take on disk (spool excluded); the oldest are removed ahead of ' +
      'it, defects and uncertain verdicts last.',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Matches(/^(\d+|([1-9]\d?(\.\d+)?|100)%)$/)
  RETENTION_MAX_BYTES = '80%';

  @Setting({
    accepts: 'an integer from 0 to 36500 (0: no age limit)',
    description: 'Images older than this many days are removed, except the ones kept longer (below).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(36_500)
  RETENTION_MAX_AGE_DAYS = 30;

  @Setting({
    accepts: 'an integer from 0 to 36500 (0: no age limit), at least RETENTION_MAX_AGE_DAYS',
    description:
      'Images with a defect or uncertain verdict are kept this many days; with RETENTION_MAX_AGE_DAYS=0 they too ' +
      'have no age limit. Images a person reviewed are never removed automatically.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(36_500)
  RETENTION_DEFECT_MAX_AGE_DAYS = 90;

  @Setting({ accepts: LOG_LEVELS.join(', '), description: 'Most verbose log level written.' })
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';
}
