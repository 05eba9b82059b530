/** The values settings take (enumerations) and how their text is read. */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const INFERENCE_BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type InferenceBackendChoice = (typeof INFERENCE_BACKENDS)[number];

export const LOG_FORMATS = ['json', 'pretty', 'auto'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Reads "true"/"false" (and 1/0, yes/no); anything else stays a string and fails validation. */
export function parseBoolean({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no'].includes(normalised)) return false;
  return value;
}

/** Reads a decimal number strictly: "0.6" but not "0.6x" or "". */
export function parseNumber({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  return /^\s*-?(\d+\.?\d*|\.\d+)\s*$/.test(value) ? Number(value) : value;
}

/** Reads a whole number strictly: "12abc" and "" stay strings and fail validation. */
export function parseInteger({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  return /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
}
