/** One environment variable that failed validation. */
export interface InvalidSetting {
  readonly name: string;
  readonly value: unknown;
  readonly accepts: string;
}

/** Start-up refused: the message names every offending variable and what it accepts. */
export class ConfigurationError extends Error {
  constructor(readonly invalid: readonly InvalidSetting[]) {
    super(
      'Invalid configuration:\n' +
        invalid.map((s) => `  ${s.name}=${JSON.stringify(s.value)}: expected ${s.accepts}`).join('\n'),
    );
    this.name = 'ConfigurationError';
  }
}
