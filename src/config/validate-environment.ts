import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ConfigurationError } from './configuration-error.js';
import { Environment } from './environment.js';
import { describeSetting } from './setting.decorator.js';

/**
 * Builds the validated `Environment` from raw variables (usually `process.env`): defaults for
 * what is unset, and a `ConfigurationError` naming every invalid variable at once.
 */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const known = Object.keys(new Environment());
  const given = Object.fromEntries(known.filter((name) => raw[name] !== undefined).map((n) => [n, raw[n]]));
  const environment = plainToInstance(Environment, given, { exposeDefaultValues: true });
  const errors = validateSync(environment, { forbidUnknownValues: true });
  const invalid = errors.map((error) => ({
    name: error.property,
    value: given[error.property],
    accepts: describeSetting(error.property)?.accepts ?? Object.values(error.constraints ?? {}).join('; '),
  }));
  if (invalid.length === 0 && environment.MIN_PACKET_BYTES > environment.MAX_PACKET_BYTES) {
    invalid.push({
      name: 'MIN_PACKET_BYTES',
      value: given.MIN_PACKET_BYTES ?? environment.MIN_PACKET_BYTES,
      accepts: `at most MAX_PACKET_BYTES (${environment.MAX_PACKET_BYTES})`,
    });
  }
  if (invalid.length === 0 && environment.DELIVERY_RETRY_MIN_MS > environment.DELIVERY_RETRY_MAX_MS) {
    invalid.push({
      name: 'DELIVERY_RETRY_MIN_MS',
      value: given.DELIVERY_RETRY_MIN_MS ?? environment.DELIVERY_RETRY_MIN_MS,
      accepts: `at most DELIVERY_RETRY_MAX_MS (${environment.DELIVERY_RETRY_MAX_MS})`,
    });
  }
  const { RETENTION_MAX_AGE_DAYS: maxAge, RETENTION_DEFECT_MAX_AGE_DAYS: defectMaxAge } = environment;
  if (invalid.length === 0 && maxAge > 0 && defectMaxAge > 0 && defectMaxAge < maxAge) {
    invalid.push({
      name: 'RETENTION_DEFECT_MAX_AGE_DAYS',
      value: given.RETENTION_DEFECT_MAX_AGE_DAYS ?? defectMaxAge,
      accepts: `0 (no age limit) or at least RETENTION_MAX_AGE_DAYS (${maxAge}): defects are kept longer, not shorter`,
    });
  }
  if (invalid.length > 0) throw new ConfigurationError(invalid);
  return environment;
}
