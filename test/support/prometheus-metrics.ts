/**
 * The metric names the gateway promises (dashboards and alerts depend on them), and small readers
 * of PromQL expressions and of the Prometheus text format, shared by the deploy-file and the
 * Prometheus end-to-end specs.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Every metric of the gateway's own, with its type. */
export const GATEWAY_METRICS: ReadonlyMap<string, MetricType> = new Map<string, MetricType>([
  ['cable_inspector_udp_datagrams_received_total', 'counter'],
  ['cable_inspector_udp_datagrams_rejected_total', 'counter'],
  ['cable_inspector_udp_replies_sent_total', 'counter'],
  ['cable_inspector_transfers_total', 'counter'],
  ['cable_inspector_transfers_active', 'gauge'],
  ['cable_inspector_transfers_dormant', 'gauge'],
  ['cable_inspector_transfer_duration_seconds', 'histogram'],
  ['cable_inspector_image_bytes', 'histogram'],
  ['cable_inspector_retransmissions_total', 'counter'],
  ['cable_inspector_storage_write_seconds', 'histogram'],
  ['cable_inspector_storage_bytes', 'gauge'],
  ['cable_inspector_storage_images', 'gauge'],
  ['cable_inspector_images_pruned_total', 'counter'],
  ['cable_inspector_classifications_total', 'counter'],
  ['cable_inspector_classification_seconds', 'histogram'],
  ['cable_inspector_classifier_queue_depth', 'gauge'],
  ['cable_inspector_results_confirmed_total', 'counter'],
  ['cable_inspector_build_info', 'gauge'],
  ['cable_inspector_photos_unavailable_total', 'counter'],
  ['cable_inspector_live_clients', 'gauge'],
  ['cable_inspector_results_published_total', 'counter'],
  ['cable_inspector_results_rejected_total', 'counter'],
  ['cable_inspector_outbox_pending', 'gauge'],
  ['cable_inspector_outbox_bytes', 'gauge'],
  ['cable_inspector_outbox_dropped_total', 'counter'],
  ['cable_inspector_delivery_failures_total', 'counter'],
  ['cable_inspector_mqtt_connected', 'gauge'],
]);

/** The prom-client default metrics the dashboard relies on. */
export const PROCESS_METRICS: readonly string[] = [
  'process_resident_memory_bytes',
  'process_cpu_seconds_total',
  'nodejs_eventloop_lag_seconds',
];

/** prom-client's default process and Node.js metrics. */
export function isDefaultProcessMetric(name: string): boolean {
  return /^(process|nodejs)_[a-z0-9_]+$/.test(name);
}

/** Series Prometheus adds to every target by itself. */
export const SYNTHETIC_SERIES: readonly string[] = ['up'];

const HISTOGRAM_SERIES_SUFFIXES = ['_bucket', '_sum', '_count'];

/**
 * The metric family a series name belongs to: `x_bucket`, `x_sum` and `x_count` of a histogram `x`
 * of the gateway are `x`; any other name is itself.
 */
export function metricFamilyOf(series: string): string {
  for (const suffix of HISTOGRAM_SERIES_SUFFIXES) {
    if (!series.endsWith(suffix)) continue;
    const family = series.slice(0, -suffix.length);
    if (GATEWAY_METRICS.get(family) === 'histogram') return family;
  }
  return series;
}

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'atan2',
  'inf',
  'nan',
]);

/**
 * The series names an expression selects. Enough PromQL for dashboards: strings, label matchers,
 * ranges and grouping clauses are dropped, then every identifier that is neither a function (or
 * aggregation) call nor a keyword is a series name. Grafana variables only appear inside those.
 */
export function seriesNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const isCall = /^\s*\(/.test(bare.slice(match.index + name.length));
    if (!isCall && !PROMQL_KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
}

/** The metric families an expression uses (histogram series folded into their family). */
export function metricFamiliesIn(expr: string): string[] {
  return [...new Set(seriesNamesIn(expr).map(metricFamilyOf))];
}

/** A metric family as the text exposition format declares it. */
export interface ExposedFamily {
  readonly help: string | undefined;
  readonly type: string | undefined;
}

/** The `# HELP` and `# TYPE` lines of a Prometheus text exposition, by metric name. */
export function exposedFamilies(text: string): Map<string, ExposedFamily> {
  const families = new Map<string, { help: string | undefined; type: string | undefined }>();
  for (const line of text.split('\n')) {
    const declaration = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
    if (declaration === null) continue;
    const [, kind, name, rest] = declaration;
    const family = families.get(name!) ?? { help: undefined, type: undefined };
    if (kind === 'HELP') family.help = rest ?? '';
    else family.type = rest;
    families.set(name!, family);
  }
  return families;
}
