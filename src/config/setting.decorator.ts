/** What the README and the start-up error say about one environment variable. */
export interface SettingDescription {
  /** The variable's name, which is also the property name on `Environment`. */
  readonly name: string;
  /** What values it accepts, phrased to follow "accepts": "an integer from 0 to 65535". */
  readonly accepts: string;
  /** What it controls. */
  readonly description: string;
}

const settings = new Map<string, SettingDescription>();

/** Registers an `Environment` property as a documented setting. */
export function Setting(description: Omit<SettingDescription, 'name'>): PropertyDecorator {
  return (_target, property) => {
    const name = String(property);
    settings.set(name, { name, ...description });
  };
}

/** Every documented setting, in declaration order. */
export function describeSettings(): readonly SettingDescription[] {
  return [...settings.values()];
}

export function describeSetting(name: string): SettingDescription | undefined {
  return settings.get(name);
}
