import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SeededRandom, syntheticJpeg } from '#camera-emulator';
import { crc32, DATA_HEADER_BYTES, MAX_PACKET_COUNT } from '#protocol';
import { deviceLink, LossyRelay } from '../apps/esp-sim/src/index.js';
import { GatewayProcess } from './support/gateway-process.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { assertStored, readStoredImages } from './support/stored-images.js';
import { describeLines, LOOPBACK_TIMING, runUplink, writeImages } from './support/uplink-command.js';

/**
 * Generation C: this project's C library (firmware/), as its command cable-uplink-send built under
 * AddressSanitizer and UndefinedBehaviorSanitizer, against the real gateway over real UDP, through
 * a lossy relay. These pass against the gateway as it is; generation-c-core.e2e-spec.ts holds the
 * ones that need the transfer core's side of generation C.
 */
const P = 1460;
const PAYLOAD = P - DATA_HEADER_BYTES;
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/esp32cam-xga.jpg', import.meta.url));

/** The gateway pushes the verdict often enough to get through 40 % loss within the wait. */
const RESULT_SETTINGS = { RESULT_RETRY_MS: 50, RESULT_MAX_ATTEMPTS: 20 };

describe('generation C (the C library) against the gateway through a lossy link', () => {
  let gateway: TestGateway;
  let directory: string;
  let images: Buffer[];
  let paths: string[];

  before(async () => {
    gateway = await startTestGateway(RESULT_SETTINGS);
    directory = await mkdtemp(join(tmpdir(), 'generation-c-e2e-'));
    images = [
      await readFile(FIXTURE),
      syntheticJpeg(PAYLOAD, 1), // one full packet: the exact-multiple case at its smallest
      syntheticJpeg(17 * PAYLOAD, 2), // an exact multiple of P-8
      syntheticJpeg(MAX_PACKET_COUNT * PAYLOAD, 3), // 255 full packets: the largest image there is
      syntheticJpeg(254 * PAYLOAD + 1, 4), // 255 packets, the last of one byte
      syntheticJpeg(40_001, 5),
    ];
    paths = await writeImages(directory, images);
  });

  after(async () => {
    await gateway.close();
    await rm(directory, { recursive: true, force: true });
  });

  // At 40 % loss both ways a round of the missing-list exchange gets through about one time in three:
  // one 255-packet image there, both of them at 20 %, keep the run to seconds.
  for (const [loss, deviceId, picked] of [
    [0, 10, [0, 1, 2, 3, 4, 5]],
    [0.2, 11, [0, 1, 2, 3, 4, 5]],
    [0.4, 12, [0, 1, 2, 3]],
  ] as const) {
    it(`${loss * 100} % loss each way, with duplicates and reordering: every image stored once, byte for byte, with its verdict`, async () => {
      const sent = picked.map((position) => images[position]!);
      const seed = 0xc0de + deviceId;
      const link = deviceLink({ loss, duplicate: 0.05, reorder: 0.1, reorderDelayMs: 15 }, seed);
      const relay = await LossyRelay.open({ target: gateway.udp, link });
      try {
        const outcome = await runUplink(
          relay.address,
          deviceId,
          picked.map((position) => paths[position]!),
          [
            ...LOOPBACK_TIMING,
            ...['--result-timeout', '5000', '--request-attempts', '40', '--end-attempts', '20'],
          ],
        );
        const context = `link seed ${seed}: ${describeLines(outcome)}`;
        assert.equal(outcome.code, 0, context);
        assert.equal(outcome.lines.length, sent.length, context);
        outcome.lines.forEach((line, position) => {
          const image = sent[position]!;
          assert.equal(line.outcome, 'stored', context);
          assert.equal(line.bytes, image.length, context);
          assert.equal(
            line.packets,
            Math.ceil(image.length / PAYLOAD),
            'an exact multiple of P-8 sends no extra packet',
          );
          assert.equal(parseInt(line.crc, 16), crc32(image), "the C library's CRC-32 is zlib's");
          assert.equal(line.malformed, 0, 'no reply the library could not read');
          assert.equal(
            line.verdict?.status,
            'unavailable',
            'the verdict (no model here) arrived and was confirmed',
          );
        });
        if (loss > 0)
          assert.ok(relay.counters.outgoing.lost > 0 && relay.counters.incoming.lost > 0, context);
        const source = relay.upstreamAddress;
        await assertStored(
          gateway.storageDir,
          sent.map((image) => ({ image, deviceId, source })),
          { others: true },
        );
      } finally {
        await relay.close();
      }
    });
  }

  it('answers a ping through the relay and names the outcome of an image that cannot be sent', async () => {
    const relay = await LossyRelay.open({ target: gateway.udp });
    try {
      const [tooLarge] = await writeImages(directory, [Buffer.alloc(MAX_PACKET_COUNT * PAYLOAD + 1, 0xff)]);
      const outcome = await runUplink(relay.address, 13, [tooLarge!], ['--ping', ...LOOPBACK_TIMING]);
      assert.equal(outcome.code, 1, describeLines(outcome));
      assert.deepEqual(outcome.ping, { version: 1, flags: 1 }, 'protocol 1, accepting uploads, no model');
      assert.equal(outcome.lines.length, 1);
      assert.equal(outcome.lines[0]!.outcome, 'invalid');
      assert.equal(outcome.lines[0]!.requests, 0, 'nothing sent for an image larger than 255 packets');
    } finally {
      await relay.close();
    }
  });
});

describe('generation C across a gateway restart (kill -9 mid-transfer)', () => {
  const roots: string[] = [];
  after(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  /**
   * Uploads `image` while the gateway is SIGKILLed once the relay has carried `killAfter` data
   * packets, and started again on the same ports and disk. Returns the command's outcome.
   */
  async function uploadAcrossKill(image: Buffer, killAfter: number, settings: Record<string, string>) {
    const root = await mkdtemp(join(tmpdir(), 'generation-c-restart-'));
    roots.push(root);
    const storageDir = join(root, 'images');
    const gateway = await GatewayProcess.create({ STORAGE_DIR: storageDir, ...settings });
    await gateway.start();
    let dataPackets = 0;
    let restarted: Promise<void> | undefined;
    const relay = await LossyRelay.open({
      target: gateway.udp,
      tamper: (datagram, direction) => {
        if (direction === 'outgoing' && datagram[2] === 2 && ++dataPackets === killAfter) {
          restarted = gateway.kill().then(() => gateway.start());
        }
        return undefined;
      },
    });
    try {
      const [path] = await writeImages(root, [image]);
      const outcome = await runUplink(
        relay.address,
        21,
        [path!],
        [
          ...['--reply-timeout', '1000', '--min-reply-timeout', '50', '--end-attempts', '8'],
          ...['--request-attempts', '30', '--result-timeout', '0'],
        ],
      );
      await restarted;
      assert.ok(restarted, 'the gateway was killed mid-transfer');
      return { outcome, storageDir, source: relay.upstreamAddress };
    } finally {
      await relay.close();
      await gateway.kill();
    }
  }

  const random = new SeededRandom(20261201);
  const image = syntheticJpeg(120 * PAYLOAD + 77, 9);
  const killAfter = 10 + random.below(100);

  it(`resumes from the spool: killed after data packet ${killAfter}, the image is stored once`, async () => {
    const { outcome, storageDir, source } = await uploadAcrossKill(image, killAfter, {});
    assert.equal(outcome.code, 0, describeLines(outcome));
    assert.equal(outcome.lines[0]!.outcome, 'stored');
    await assertStored(storageDir, [{ image, deviceId: 21, source }]);
  });

  it(`starts again when the gateway lost the transfer (no spool): killed after packet ${killAfter}, stored once`, async () => {
    const { outcome, storageDir, source } = await uploadAcrossKill(image, killAfter, {
      SPOOL_ENABLED: 'false',
    });
    assert.equal(outcome.code, 0, describeLines(outcome));
    const [line] = outcome.lines;
    assert.equal(line!.outcome, 'stored');
    assert.ok(line!.restarts >= 1, `the device sent its request and burst again: ${describeLines(outcome)}`);
    await assertStored(storageDir, [{ image, deviceId: 21, source }]);
    assert.equal((await readStoredImages(storageDir)).length, 1);
  });
});
