import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { FIRMWARE } from '#camera-emulator';
import { bindAddressFor, distribution, imagesFromFiles, runFleet } from '../../apps/esp-sim/src/index.js';
import type { BenchContext } from './bench-context.js';
import { productionSettings, withGateway } from './gateway-runs.js';
import type { HttpLoadReport, HttpLoadWorkerData } from './http-load-worker.js';
import { PingClient } from './ping-client.js';

/** The http-load section. */
export interface HttpLoadResult {
  readonly idleP99: number | null;
  readonly loadedP99: number | null;
  readonly ratio: number | null;
}

/** Devices that upload the images the page shows (generation B: the fastest). */
const UPLOADING_DEVICES = 8;

/** Pings before measuring. */
const WARM_UP_PINGS = 50;

/** The page under load, as a person opens it. */
const PAGE_PATH = '/images';

/** Longest wait for the stored images to be classified before measuring. */
const CLASSIFY_TIMEOUT_MS = 60_000;

/** The loaded pings stop after this long even when not all were sent (a very slow gateway). */
const LOADED_PINGS_MAX_MS = 20_000;

/** Longest the load generator runs, whatever happens to the pings. */
const LOAD_MAX_MS = 60_000;

const WORKER = new URL('./http-load-worker.js', import.meta.url);

/**
 * The HTTP side never slows the UDP side: p99 round trip of pings `[0, id, 0]` while
 * `httpConcurrency` requests to `GET /images` are in flight at all times, against the same
 * gateway idle. The gateway runs as in production (analysis on, spool on) with `httpImages`
 * stored and classified images, so the page has a full set of cards to show.
 */
export async function runHttpLoad(context: BenchContext): Promise<HttpLoadResult> {
  const { httpConcurrency, httpImages, pings, pingIntervalMs } = context.scale;
  return withGateway(context, 'http load', productionSettings(context), async (gateway) => {
    const server = gateway.process.udp;
    const perDevice = Math.ceil(httpImages / UPLOADING_DEVICES);
    context.progress(`http load: storing ${perDevice * UPLOADING_DEVICES} images for the page`);
    const before = await gateway.metric('cable_inspector_classifications_total');
    await runFleet({
      server,
      devices: Array.from({ length: UPLOADING_DEVICES }, (_, index) => ({
        firmware: FIRMWARE.B,
        deviceId: 200 + index,
        bindAddress: bindAddressFor('auto', server.address, 2000 + index),
      })),
      imagesPerDevice: perDevice,
      images: imagesFromFiles(
        context.assets.images.map((image) => ({ name: image.name, bytes: image.bytes })),
        perDevice,
      ),
      timeScale: 1,
      deadlineMs: 60_000,
    });
    const uploaded = perDevice * UPLOADING_DEVICES;
    const waitStartedAt = performance.now();
    while (
      (await gateway.metric('cable_inspector_classifications_total')) - before < uploaded &&
      performance.now() - waitStartedAt < CLASSIFY_TIMEOUT_MS
    )
      await sleep(250);

    const pinger = await PingClient.open(server);
    try {
      await pinger.series(WARM_UP_PINGS, pingIntervalMs);
      context.progress(`http load: ${pings} pings, HTTP idle`);
      const idle = await pinger.series(pings, pingIntervalMs);
      const url = `http://127.0.0.1:${gateway.httpPort}${PAGE_PATH}`;
      context.progress(`http load: ${pings} pings, ${httpConcurrency} requests to ${PAGE_PATH} in flight`);
      const worker = new Worker(WORKER, {
        workerData: { url, concurrency: httpConcurrency, maxMs: LOAD_MAX_MS } satisfies HttpLoadWorkerData,
      });
      const report = new Promise<HttpLoadReport>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      // Let every connection open and ask once before the pings count.
      await sleep(Math.min(2000, 200 + httpConcurrency));
      const loadedStartedAt = performance.now();
      const loaded = await pinger.series(
        pings,
        pingIntervalMs,
        1000,
        () => performance.now() - loadedStartedAt > LOADED_PINGS_MAX_MS,
      );
      worker.postMessage('stop');
      const load = await report;
      await worker.terminate();
      const idleStats = distribution(idle.rttMs);
      const loadedStats = distribution(loaded.rttMs);
      const requestStats = distribution(load.latenciesMs);
      const ratio =
        idleStats.p99 !== null && loadedStats.p99 !== null && idleStats.p99 > 0
          ? loadedStats.p99 / idleStats.p99
          : null;
      const pingText = (stats: typeof idleStats, lost: number): string =>
        `${stats.count} pings: p50 ${stats.p50?.toFixed(3)} ms, p95 ${stats.p95?.toFixed(3)} ms, max ${stats.max?.toFixed(2)} ms, ${lost} unanswered in 1 s`;
      context.record({
        key: 'http-load.ping-p99-idle-ms',
        section: 'http-load',
        label: 'ping round trip p99, HTTP idle',
        value: idleStats.p99,
        unit: 'ms',
        detail: pingText(idleStats, idle.lost),
      });
      context.record({
        key: 'http-load.ping-p99-loaded-ms',
        section: 'http-load',
        label: `ping round trip p99, ${httpConcurrency} concurrent requests to ${PAGE_PATH}`,
        value: loadedStats.p99,
        unit: 'ms',
        detail: pingText(loadedStats, loaded.lost),
      });
      context.record({
        key: 'http-load.ratio',
        section: 'http-load',
        label: 'ping p99 under HTTP load / idle',
        value: ratio,
        unit: '×',
      });
      context.record({
        key: 'http-load.requests-per-second',
        section: 'http-load',
        label: `${PAGE_PATH} answered per second`,
        value: load.wallMs > 0 ? (load.completed / load.wallMs) * 1000 : null,
        unit: 'req/s',
        detail:
          `${load.completed} answered, ${load.failed} failed, statuses ${JSON.stringify(load.statuses)}, ` +
          `${(load.bytes / 1e6).toFixed(1)} MB in ${(load.wallMs / 1000).toFixed(1)} s; request p50 ` +
          `${requestStats.p50?.toFixed(1)} ms, p99 ${requestStats.p99?.toFixed(1)} ms`,
      });
      context.note(
        `HTTP load: ${uploaded} images stored and classified first; pings one after the other, ${pingIntervalMs} ms ` +
          `apart, from the bench's main thread; the ${httpConcurrency} keep-alive connections asking for ${PAGE_PATH} ` +
          'again as soon as each answer is read run in a worker thread of the bench process.',
      );
      return { idleP99: idleStats.p99, loadedP99: loadedStats.p99, ratio };
    } finally {
      await pinger.close();
    }
  });
}
