/**
 * The deployment files agree with each other and with the gateway: docker-compose.yml, the
 * Dockerfile and .dockerignore, the Prometheus configuration (checked by `promtool`), the Grafana
 * provisioning and dashboard, and the container health probe.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { validateEnvironment } from '../src/config/index.js';
import {
  GATEWAY_METRICS,
  SYNTHETIC_SERIES,
  isDefaultProcessMetric,
  metricFamiliesIn,
} from './support/prometheus-metrics.js';
import { freeTcpPort, runCommand, toolGate } from './support/prometheus-tools.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GATEWAY_UDP_PORT = 44444;
const GATEWAY_HTTP_PORT = 3000;

function repoFile(path: string): string {
  return join(ROOT, path);
}

function readText(path: string): string {
  return readFileSync(repoFile(path), 'utf8');
}

function readYaml<T>(path: string): T {
  return parseYaml(readText(path)) as T;
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  ports?: (string | { target: number; published?: string | number; protocol?: string })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  stop_grace_period?: string;
  stop_signal?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

interface Mount {
  readonly source: string;
  readonly target: string;
  readonly bind: boolean;
}

function mountsOf(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') {
      const source = volume.source ?? '';
      return { source, target: volume.target, bind: volume.type === 'bind' };
    }
    const [source = '', target = ''] = volume.split(':');
    return { source, target, bind: /^[./~]/.test(source) };
  });
}

/** `"44444:44444/udp"` → `44444:44444/udp`; the long syntax written the same way. */
function portsOf(service: ComposeService): string[] {
  return (service.ports ?? []).map((port) =>
    typeof port === 'string'
      ? port.includes('/')
        ? port
        : `${port}/tcp`
      : `${port.published ?? ''}:${port.target}/${port.protocol ?? 'tcp'}`,
  );
}

function environmentOf(service: ComposeService): Record<string, string> {
  const raw = service.environment ?? {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((entry) => [entry.split('=')[0]!, entry.split('=').slice(1).join('=')]),
    );
  }
  return Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, String(value ?? '')]));
}

/** Compose durations: `30s`, `1m30s`, `1500ms`. */
function durationMs(text: string): number {
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)];
  assert.ok(parts.length > 0 && parts.map((part) => part[0]).join('') === text, `duration ${text}`);
  return parts.reduce((total, [, value, unit]) => total + Number(value) * units[unit!]!, 0);
}

/** The host path of a bind-mount source, relative to the repository. */
function hostPath(source: string): string {
  return posix.normalize(source.replace(/^\.\//, ''));
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly name: string | undefined;
  readonly base: string;
  readonly instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped, grouped by stage. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = '';
  }
  if (pending !== '') logical.push(pending.trim());

  const stages: Stage[] = [];
  for (const line of logical.filter((each) => each !== '')) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') {
      const [, base = '', name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) ?? [];
      stages.push({ name, base, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** The JSON (exec) form of CMD / HEALTHCHECK CMD / ENTRYPOINT, or undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`). */
function envAssignments(args: string): Record<string, string> {
  const pairs = [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)];
  if (pairs.length === 0) {
    const [name = '', ...value] = args.split(/\s+/);
    return { [name]: value.join(' ') };
  }
  return Object.fromEntries(pairs.map(([, name, value]) => [name!, value!.replace(/^"(.*)"$/, '$1')]));
}

/** Sources of a COPY/ADD (flags dropped), and its `--from` stage if any. */
function copyOf(args: string): { from: string | undefined; sources: string[]; destination: string } {
  const words = execForm(args) ?? args.split(/\s+/);
  const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((word) => !word.startsWith('--'));
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
}

/** Whether `.dockerignore` patterns exclude `path` (enough of Docker's rules for this repository). */
function dockerIgnored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const rawPattern of patterns) {
    const negated = rawPattern.startsWith('!');
    const pattern = posix.normalize(negated ? rawPattern.slice(1) : rawPattern).replace(/^\/|\/$/g, '');
    const regex = new RegExp(
      '^' +
        pattern
          .split('**')
          .map((part) =>
            part
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('.*') +
        '(/.*)?$',
    );
    if (regex.test(path)) ignored = !negated;
  }
  return ignored;
}

// ---------------------------------------------------------------------------------------------

const compose = readYaml<ComposeFile>('docker-compose.yml');
const stages = parseDockerfile(readText('Dockerfile'));
const runtime = stages.at(-1)!;
const promtool = toolGate(['promtool']);

function runtimeArgs(keyword: string): string[] {
  return runtime.instructions.filter((each) => each.keyword === keyword).map((each) => each.args);
}

/** The working directory a stage ends with, following `FROM <stage>` to its parents. */
function workdirOf(stage: Stage): string | undefined {
  const own = stage.instructions.filter((each) => each.keyword === 'WORKDIR').at(-1)?.args;
  if (own !== undefined) return own;
  const parent = stages.find((other) => other.name !== undefined && other.name === stage.base);
  return parent ? workdirOf(parent) : undefined;
}

const runtimeEnv: Record<string, string> = Object.assign({}, ...runtimeArgs('ENV').map(envAssignments));

describe('docker-compose.yml', () => {
  const { services } = compose;

  it('defines the gateway, mosquitto, prometheus and grafana services', () => {
    for (const name of ['gateway', 'mosquitto', 'prometheus', 'grafana'])
      assert.ok(services[name], `service ${name}`);
  });

  it('has the gateway publish its results to the mosquitto service, configured from deploy/mosquitto', () => {
    const url = environmentOf(services.gateway!).MQTT_URL ?? '';
    assert.equal(validateEnvironment({ MQTT_URL: url }).MQTT_URL, url);
    const mosquitto = services.mosquitto!;
    assert.match(mosquitto.image ?? '', /^(docker\.io\/)?eclipse-mosquitto(:|$)/);
    const port = /^mqtts?:\/\/mosquitto:(\d+)$/.exec(url)?.[1];
    assert.ok(port, `MQTT_URL names the mosquitto service (${url})`);
    const config = mountsOf(mosquitto).find(
      (mount) => hostPath(mount.source) === 'deploy/mosquitto/mosquitto.conf',
    );
    assert.ok(config, 'deploy/mosquitto/mosquitto.conf is mounted');
    assert.match(readText('deploy/mosquitto/mosquitto.conf'), new RegExp(`^listener ${port}$`, 'm'));
  });

  it('builds the gateway from this repository', () => {
    const build = services.gateway!.build;
    const context = typeof build === 'string' ? build : build?.context;
    assert.ok(context === '.' || context === './', `gateway.build is the repository (${String(context)})`);
  });

  it('publishes UDP 44444 and HTTP 3000', () => {
    const ports = portsOf(services.gateway!);
    assert.ok(ports.includes(`${GATEWAY_UDP_PORT}:${GATEWAY_UDP_PORT}/udp`), `ports ${ports.join(', ')}`);
    assert.ok(ports.includes(`${GATEWAY_HTTP_PORT}:${GATEWAY_HTTP_PORT}/tcp`), `ports ${ports.join(', ')}`);
  });

  it('keeps the stored images in a named volume that holds STORAGE_DIR', () => {
    const storageDir = environmentOf(services.gateway!).STORAGE_DIR ?? runtimeEnv.STORAGE_DIR;
    assert.ok(
      storageDir?.startsWith('/'),
      `STORAGE_DIR is an absolute path in the container (${storageDir})`,
    );
    const named = mountsOf(services.gateway!).filter((mount) => !mount.bind);
    const holder = named.find(
      (mount) => storageDir === mount.target || storageDir.startsWith(`${mount.target.replace(/\/$/, '')}/`),
    );
    assert.ok(holder, `a named volume is mounted over ${storageDir}`);
    assert.ok(compose.volumes && holder.source in compose.volumes, `volume ${holder.source} is declared`);
  });

  it('health-checks the gateway with node against /health/live', () => {
    const test = services.gateway!.healthcheck?.test;
    assert.ok(Array.isArray(test), 'healthcheck.test in exec form');
    assert.equal(test[0], 'CMD');
    assert.equal(test[1], 'node');
    const script = test[2] ?? '';
    const copied = runtimeArgs('COPY')
      .map(copyOf)
      .find(
        (copy) => posix.basename(copy.destination) === posix.basename(script) || copy.destination === script,
      );
    assert.ok(copied, `the image contains ${script}`);
    const probe = test.slice(3).join(' ') + readText(copied.sources[0]!);
    assert.match(probe, /\/health\/live/);
  });

  it('stops the gateway gracefully: SIGTERM and a grace period longer than the drain', () => {
    const gateway = services.gateway!;
    assert.ok(gateway.restart && gateway.restart !== 'no', 'gateway has a restart policy');
    assert.equal(gateway.stop_signal ?? 'SIGTERM', 'SIGTERM');
    assert.ok(gateway.stop_grace_period, 'gateway.stop_grace_period is set');
    const drainMs = Number(
      environmentOf(gateway).SHUTDOWN_GRACE_MS ?? validateEnvironment({}).SHUTDOWN_GRACE_MS,
    );
    assert.ok(
      durationMs(gateway.stop_grace_period) > drainMs,
      `stop_grace_period ${gateway.stop_grace_period} exceeds SHUTDOWN_GRACE_MS ${drainMs} ms`,
    );
  });

  it('mounts only files and directories that exist, and declares its named volumes', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const mount of mountsOf(service)) {
        if (mount.bind)
          assert.ok(existsSync(repoFile(hostPath(mount.source))), `${name}: ${mount.source} exists`);
        else assert.ok(compose.volumes && mount.source in compose.volumes, `${name}: volume ${mount.source}`);
      }
    }
  });

  it('runs the official Prometheus image on deploy/prometheus/prometheus.yml', () => {
    const prometheus = services.prometheus!;
    assert.match(prometheus.image ?? '', /^(docker\.io\/)?prom\/prometheus(:|$)/);
    const config = mountsOf(prometheus).find(
      (mount) => hostPath(mount.source) === 'deploy/prometheus/prometheus.yml',
    );
    assert.ok(config, 'deploy/prometheus/prometheus.yml is mounted');
    const command = ([] as string[]).concat(prometheus.command ?? []).join(' ');
    const configFlag = /--config\.file=(\S+)/.exec(command)?.[1] ?? '/etc/prometheus/prometheus.yml';
    assert.equal(config.target, configFlag, 'mounted where --config.file points');
  });

  it('runs the official Grafana image with deploy/grafana/provisioning', () => {
    const grafana = services.grafana!;
    assert.match(grafana.image ?? '', /^(docker\.io\/)?grafana\/grafana(-oss|-enterprise)?(:|$)/);
    const provisioning = mountsOf(grafana).find(
      (mount) => hostPath(mount.source) === 'deploy/grafana/provisioning',
    );
    assert.ok(provisioning, 'deploy/grafana/provisioning is mounted');
    const provisioningDir = environmentOf(grafana).GF_PATHS_PROVISIONING ?? '/etc/grafana/provisioning';
    assert.equal(provisioning.target, provisioningDir);
  });
});

describe('Prometheus configuration', () => {
  const config = readYaml<{
    scrape_configs: {
      job_name: string;
      metrics_path?: string;
      scheme?: string;
      static_configs?: { targets: string[] }[];
    }[];
  }>('deploy/prometheus/prometheus.yml');

  it('passes `promtool check config`', { skip: promtool.skip }, async () => {
    promtool.assertAvailable();
    const result = await runCommand('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml'], {
      cwd: ROOT,
    });
    assert.equal(result.code, 0, `promtool check config:\n${result.stdout}${result.stderr}`);
  });

  it('scrapes gateway:3000/metrics', () => {
    const jobs = config.scrape_configs.filter((job) =>
      (job.static_configs ?? []).some((group) => group.targets.includes(`gateway:${GATEWAY_HTTP_PORT}`)),
    );
    assert.equal(jobs.length, 1, 'one job scrapes the gateway service');
    assert.equal(jobs[0]!.metrics_path ?? '/metrics', '/metrics');
    assert.equal(jobs[0]!.scheme ?? 'http', 'http');
    assert.ok(
      portsOf(compose.services.gateway!).some((port) => port.endsWith(`:${GATEWAY_HTTP_PORT}/tcp`)),
      'the gateway listens on the scraped port',
    );
  });
});

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

interface Panel {
  id?: number;
  type: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels: Panel[];
  templating?: {
    list: { name: string; datasource?: { uid?: string }; query?: unknown; definition?: string }[];
  };
}

describe('Grafana provisioning and dashboard', () => {
  const provisioningRoot = 'deploy/grafana/provisioning';
  const yamlFiles = (dir: string) =>
    readdirSync(repoFile(join(provisioningRoot, dir)))
      .filter((file) => /\.ya?ml$/.test(file))
      .map((file) => join(provisioningRoot, dir, file));

  const datasources = yamlFiles('datasources').flatMap(
    (file) =>
      readYaml<{
        datasources?: { name: string; type: string; uid?: string; url?: string; isDefault?: boolean }[];
      }>(file).datasources ?? [],
  );
  const prometheusSources = datasources.filter((source) => source.type === 'prometheus');
  const providers = yamlFiles('dashboards').flatMap(
    (file) =>
      readYaml<{ providers?: { type?: string; options?: { path?: string } }[] }>(file).providers ?? [],
  );
  const dashboardPath = 'deploy/grafana/dashboards/cable-inspector.json';
  const dashboard = JSON.parse(readText(dashboardPath)) as Dashboard;
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const queryPanels = panels.filter((panel) => panel.type !== 'row');
  const exprs = queryPanels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title ?? `#${panel.id}`,
      expr: target.expr ?? '',
    })),
  );

  it('provisions one Prometheus data source: the prometheus service', () => {
    assert.equal(prometheusSources.length, 1);
    const [source] = prometheusSources;
    assert.ok(source!.uid, 'the data source has a fixed uid the dashboard can refer to');
    assert.equal(source!.url, 'http://prometheus:9090');
  });

  it('has a file provider loading the mounted dashboards directory', () => {
    const grafana = compose.services.grafana!;
    const fileProviders = providers.filter((provider) => (provider.type ?? 'file') === 'file');
    assert.ok(fileProviders.length > 0, 'a file dashboard provider');
    for (const provider of fileProviders) {
      const path = provider.options?.path ?? '';
      const mount = mountsOf(grafana).find(
        (each) => each.target.replace(/\/$/, '') === path.replace(/\/$/, ''),
      );
      assert.ok(mount, `the provider path ${path} is a mount of the grafana service`);
      assert.ok(
        existsSync(repoFile(join(hostPath(mount.source), posix.basename(dashboardPath)))),
        `${mount.source} holds the dashboard`,
      );
    }
  });

  it('is a dashboard Grafana can load: uid, title, schemaVersion, laid-out panels', () => {
    assert.ok(dashboard.uid && dashboard.title, 'uid and title');
    assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion! >= 30, 'schemaVersion');
    assert.ok(queryPanels.length > 0, 'panels');
    const ids = panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    const cells = new Map<string, string>();
    for (const panel of panels) {
      const pos = panel.gridPos;
      assert.ok(pos, `${panel.title}: gridPos`);
      for (const key of ['x', 'y', 'w', 'h'] as const)
        assert.ok(Number.isInteger(pos[key]), `${panel.title}: ${key}`);
      assert.ok(
        pos.x >= 0 && pos.w > 0 && pos.x + pos.w <= 24 && pos.h > 0 && pos.y >= 0,
        `${panel.title}: fits`,
      );
      for (let x = pos.x; x < pos.x + pos.w; x++) {
        for (let y = pos.y; y < pos.y + pos.h; y++) {
          const other = cells.get(`${x},${y}`);
          assert.equal(other, undefined, `${panel.title} overlaps ${other}`);
          cells.set(`${x},${y}`, panel.title ?? '');
        }
      }
    }
  });

  it('queries the provisioned data source by its uid, with an expression in every target', () => {
    const uid = prometheusSources[0]?.uid;
    for (const panel of queryPanels) {
      assert.ok((panel.targets ?? []).length > 0, `${panel.title}: targets`);
      assert.equal(panel.datasource?.uid, uid, `${panel.title}: panel data source`);
      const refIds = new Set<string | undefined>();
      for (const target of panel.targets ?? []) {
        assert.ok(target.expr?.trim(), `${panel.title}: expr`);
        assert.ok(!refIds.has(target.refId), `${panel.title}: refId ${target.refId} unique`);
        refIds.add(target.refId);
        if (target.datasource) assert.equal(target.datasource.uid, uid, `${panel.title}: target data source`);
      }
    }
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.datasource) assert.equal(variable.datasource.uid, uid, `variable ${variable.name}`);
    }
  });

  it('uses only metrics the gateway exposes (or prom-client process metrics)', () => {
    const variableQueries = (dashboard.templating?.list ?? []).map((variable) => ({
      panel: `variable ${variable.name}`,
      expr: (variable.definition ?? '').replace(/^label_values\(([^,)]+)(,[^)]*)?\)$/, '$1'),
    }));
    const unknown = [...exprs, ...variableQueries].flatMap(({ panel, expr }) =>
      metricFamiliesIn(expr)
        .filter((name) => !GATEWAY_METRICS.has(name) && !isDefaultProcessMetric(name))
        .filter((name) => !SYNTHETIC_SERIES.includes(name))
        .map((name) => `${panel}: ${name}`),
    );
    assert.deepEqual(unknown, []);
  });

  it('has a panel for every gateway metric', () => {
    const used = new Set(exprs.flatMap(({ expr }) => metricFamiliesIn(expr)));
    const missing = [...GATEWAY_METRICS.keys()].filter((name) => !used.has(name));
    assert.deepEqual(missing, []);
    for (const name of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
      assert.ok(used.has(name), `a panel shows ${name}`);
    }
  });

  it('plots p50, p95 and p99 of the transfer duration with histogram_quantile', () => {
    const durationExprs = exprs
      .map(({ expr }) => expr)
      .filter((expr) => expr.includes('transfer_duration_seconds'));
    for (const quantile of ['0.5', '0.95', '0.99']) {
      assert.ok(
        durationExprs.some((expr) =>
          new RegExp(`histogram_quantile\\(\\s*${quantile.replace('.', '\\.')}\\s*,.*_bucket`).test(expr),
        ),
        `p${quantile.slice(2).padEnd(2, '0')}`,
      );
    }
  });
});

describe('Dockerfile and .dockerignore', () => {
  const ignore = readText('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('builds in stages on a Node 20 image', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    const args = Object.fromEntries(
      readText('Dockerfile')
        .split('\n')
        .map((line) => /^ARG\s+([A-Za-z_]+)=(\S+)/.exec(line.trim()))
        .filter((match) => match !== null)
        .map((match) => [match[1]!, match[2]!]),
    );
    for (const stage of stages) {
      const base = stage.base.replace(/\$\{?([A-Za-z_]+)\}?/g, (_all, name: string) => args[name] ?? '');
      const parent = stages.find((other) => other.name === base);
      assert.ok(
        parent || /^(docker\.io\/(library\/)?)?node:20([.-]|$)/.test(base),
        `stage base ${stage.base}`,
      );
    }
  });

  it('compiles with npm ci and npm run build', () => {
    const runs = stages.flatMap((stage) => stage.instructions).filter((each) => each.keyword === 'RUN');
    assert.ok(
      runs.some((run) => /\bnpm run build\b/.test(run.args)),
      'npm run build',
    );
    assert.ok(
      !runs.some((run) => /\bnpm (install|i)\b/.test(run.args)),
      'npm ci only: the lock file decides',
    );
  });

  it('runs with production dependencies only', () => {
    const productionInstall = (stage: Stage) =>
      stage.instructions.some(
        (each) => each.keyword === 'RUN' && /\bnpm ci\b[^&;|]*--omit=dev\b/.test(each.args),
      );
    if (productionInstall(runtime)) return;
    const copies = runtimeArgs('COPY').map(copyOf);
    const modules = copies.find((copy) => copy.sources.some((source) => /node_modules\/?$/.test(source)));
    assert.ok(modules?.from, 'the runtime stage copies node_modules from another stage');
    const source = stages.find((stage) => stage.name === modules.from);
    assert.ok(source && productionInstall(source), `stage ${modules.from} installs with npm ci --omit=dev`);
    const sourceRuns = source.instructions.filter((each) => each.keyword === 'RUN').map((each) => each.args);
    assert.ok(!sourceRuns.some((run) => /\bnpm ci\b(?![^&;|]*--omit=dev)/.test(run)), 'and nothing more');
  });

  it('runs as a non-root user', () => {
    const user = runtimeArgs('USER').at(-1);
    assert.ok(user, 'USER in the runtime stage');
    assert.ok(!/^(root|0)(:|$)/.test(user), `USER ${user}`);
  });

  it('starts node directly, on SIGTERM', () => {
    const cmd = execForm(runtimeArgs('CMD').at(-1) ?? '');
    assert.deepEqual(cmd, ['node', 'dist/src/main.js']);
    assert.equal(runtimeArgs('ENTRYPOINT').length, 0, 'no entrypoint wraps node');
    assert.equal(runtimeArgs('STOPSIGNAL').at(-1) ?? 'SIGTERM', 'SIGTERM');
  });

  it('health-checks /health/live with node', () => {
    const healthcheck = runtimeArgs('HEALTHCHECK').at(-1) ?? '';
    const command = execForm(healthcheck.replace(/^(--\S+\s+)*CMD\s+/, ''));
    assert.ok(command, `HEALTHCHECK CMD in exec form (${healthcheck})`);
    assert.equal(command[0], 'node', 'node itself: no curl in slim images');
    const script = runtimeArgs('COPY')
      .map(copyOf)
      .find((copy) =>
        command.slice(1).some((arg) => posix.basename(arg) === posix.basename(copy.destination)),
      );
    const probe = command.join(' ') + (script ? readText(script.sources[0]!) : '');
    assert.match(probe, /\/health\/live/);
  });

  it('exposes the ports, declares /data, sets the production environment', () => {
    const exposed = runtimeArgs('EXPOSE').flatMap((args) => args.split(/\s+/));
    assert.ok(exposed.includes(`${GATEWAY_UDP_PORT}/udp`), `EXPOSE ${exposed.join(' ')}`);
    assert.ok(exposed.some((port) => port === `${GATEWAY_HTTP_PORT}` || port === `${GATEWAY_HTTP_PORT}/tcp`));
    const volumes = runtimeArgs('VOLUME').flatMap((args) => execForm(args) ?? args.split(/\s+/));
    assert.ok(volumes.includes('/data'), `VOLUME ${volumes.join(' ')}`);
    assert.equal(runtimeEnv.NODE_ENV, 'production');
    assert.equal(runtimeEnv.STORAGE_DIR, '/data/images');
    assert.equal(runtimeEnv.LOG_FORMAT, 'json');
    // The gateway runs as a user who cannot write the image's files: the models trained at the
    // plant, and the record of the active one, live on the volume.
    assert.equal(runtimeEnv.MODELS_DIR, '/data/models');
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    for (const stage of stages) {
      for (const copy of stage.instructions
        .filter((each) => ['COPY', 'ADD'].includes(each.keyword))
        .map((each) => copyOf(each.args))) {
        if (copy.from !== undefined) continue;
        for (const source of copy.sources) {
          if (source === '.' || source === './') continue;
          const path = hostPath(source);
          assert.ok(existsSync(repoFile(path)), `COPY ${source}: exists in the repository`);
          assert.ok(!dockerIgnored(ignore, path), `COPY ${source}: not excluded by .dockerignore`);
        }
      }
    }
  });

  it('keeps local builds, dependencies and VCS data out of the build context', () => {
    for (const path of ['node_modules', 'dist', '.git', 'data', 'node_modules/x/y.js']) {
      assert.ok(dockerIgnored(ignore, path), `${path} is ignored`);
    }
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'src/main.ts',
    ]) {
      assert.ok(!dockerIgnored(ignore, path), `${path} is sent`);
    }
  });

  it('the runtime image holds everything the gateway reads at start-up', () => {
    const copied = runtimeArgs('COPY').map(copyOf);
    // `COPY a b ./` puts a and b in the working directory; `COPY a ./b` names the copy b.
    const destinations = copied.flatMap((copy) =>
      copy.destination === '.' || copy.destination.endsWith('/')
        ? copy.sources.map((source) => posix.join(copy.destination, posix.basename(source)))
        : [posix.normalize(copy.destination)],
    );
    for (const needed of ['package.json', 'node_modules', 'dist/src', 'dist/libs', 'models']) {
      assert.ok(destinations.includes(needed), `runtime stage copies ${needed}`);
    }
    assert.ok(statSync(repoFile('package.json')).isFile());
  });

  it('points MODEL_DIR at a model directory the image contains', () => {
    const modelDir = runtimeEnv.MODEL_DIR ?? validateEnvironment({}).MODEL_DIR;
    const workdir = workdirOf(runtime) ?? '/';
    const inImage = posix.resolve(workdir, modelDir);
    const copied = runtimeArgs('COPY')
      .map(copyOf)
      .filter((copy) => copy.from === undefined && copy.sources.length === 1)
      .map((copy) => ({
        source: hostPath(copy.sources[0]!),
        target: posix.resolve(workdir, copy.destination),
      }))
      .find((copy) => inImage === copy.target || inImage.startsWith(`${copy.target}/`));
    assert.ok(copied, `${inImage} is copied into the image`);
    const inRepo = posix.join(copied.source, posix.relative(copied.target, inImage));
    assert.ok(existsSync(repoFile(inRepo)) && statSync(repoFile(inRepo)).isDirectory(), `${inRepo} exists`);
  });
});

describe('container health probe (deploy/healthcheck.mjs)', () => {
  let server: Server;
  let port = 0;
  let status = 200;

  before(async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/health/live' ? status : 404;
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function probe(env: Record<string, string>): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [repoFile('deploy/healthcheck.mjs')], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('exit', (code) => resolve(code));
    });
  }

  it('exits 0 when /health/live answers 200', async () => {
    status = 200;
    assert.equal(await probe({ HTTP_PORT: String(port), HTTP_HOST: '0.0.0.0' }), 0);
  });

  it('exits 1 when /health/live answers 503', async () => {
    status = 503;
    assert.equal(await probe({ HTTP_PORT: String(port) }), 1);
  });

  it('exits 1 when nothing listens', async () => {
    assert.equal(await probe({ HTTP_PORT: String(await freeTcpPort()), HTTP_HOST: '127.0.0.1' }), 1);
  });
});
