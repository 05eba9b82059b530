import { Environment } from './environment.js';
import { describeSettings } from './setting.decorator.js';

/** The README's configuration table, made from the settings themselves. */
export function settingsTable(): string {
  const defaults = new Environment() as unknown as Record<string, unknown>;
  const rows = describeSettings().map(
    ({ name, accepts, description }) =>
      `| \`${name}\` | \`${String(defaults[name])}\` | ${accepts} | ${description} |`,
  );
  return ['| Variable | Default | Accepts | What it does |', '|---|---|---|---|', ...rows].join('\n');
}

/** Where the table stands in README.md. */
export const SETTINGS_TABLE_MARKERS = ['<!-- settings:start -->', '<!-- settings:end -->'] as const;
