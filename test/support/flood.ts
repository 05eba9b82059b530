import { SeededRandom, type Endpoint } from '#camera-emulator';
import type { RawPeer } from './raw-peer.js';

/** How a flood went, and the memory of this process (which hosts the gateway) meanwhile. */
export interface FloodReport {
  readonly sent: number;
  readonly durationMs: number;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly rssAfterMiB: number;
}

/** Datagrams sent before yielding to the event loop (so the gateway in this process keeps up). */
const BATCH = 250;

/** How often the resident set size is sampled during the flood. */
const RSS_SAMPLE_MS = 25;

function mebibytes(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}

/**
 * One bogus datagram, of one of ten kinds in turn: requests the gateway must refuse (N = 0, P = 8,
 * P = 65507 with N = 255, S that does not fit), truncated frames, random bytes, data and end of
 * transfer for no transfer, unknown types and ops, and requests it accepts that never go on.
 */
export function bogusDatagram(random: SeededRandom, sequence: number): Buffer {
  const id = random.below(256);
  switch (sequence % 10) {
    case 0:
      return Buffer.from([1, id, 1, 0, 0, 0, 4, 0]);
    case 1:
      return Buffer.from([1, id, 1, 5, 0, 0, 0, 8]);
    case 2:
      return Buffer.from([1, id, 1, 255, 0, 0, 0xff, 0xe3]);
    case 3:
      return Buffer.from([1, id, 1, 2, 0, 0, 4, 0, 0, 0, 0x10, 0]);
    case 4:
      return Buffer.from([1, id, 1, 5, 0, 0, 4, 0]).subarray(0, random.below(8));
    case 5:
      return random.bytes(random.below(64));
    case 6:
      return Buffer.concat([Buffer.from([1, id, 2, random.below(256), 0, 0, 0, 100]), random.bytes(100)]);
    case 7:
      return Buffer.from([1, id, 3, random.below(256)]);
    case 8:
      return Buffer.from([2 + random.below(254), id, random.below(256), 0, 0]);
    default:
      return Buffer.from([1, id, 1, 255, 0, 0, 5, 0xb4]);
  }
}

/** Sends `count` bogus datagrams from `peer` to `target` as fast as the loop allows, sampling the RSS. */
export async function flood(peer: RawPeer, target: Endpoint, count: number, seed = 1): Promise<FloodReport> {
  const random = new SeededRandom(seed);
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, RSS_SAMPLE_MS);
  const startedAt = performance.now();
  for (let sent = 0; sent < count; sent += BATCH) {
    const batch = Math.min(BATCH, count - sent);
    await Promise.all(
      Array.from({ length: batch }, (_, offset) => peer.send(bogusDatagram(random, sent + offset), target)),
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  const durationMs = performance.now() - startedAt;
  clearInterval(sampler);
  const rssAfter = process.memoryUsage().rss;
  return {
    sent: count,
    durationMs,
    rssBeforeMiB: mebibytes(rssBefore),
    rssPeakMiB: mebibytes(Math.max(rssPeak, rssAfter)),
    rssAfterMiB: mebibytes(rssAfter),
  };
}
