import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FIRMWARE, SeededRandom, syntheticJpeg } from '#camera-emulator';
import { MAX_REPLY_BYTES, PROTOCOL_VERSION, ReplyStatus } from '#protocol';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { flood } from './support/flood.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { RawPeer } from './support/raw-peer.js';
import { assertStored } from './support/stored-images.js';

const PING = [0, 99, 0];

describe('hostile traffic against the gateway', () => {
  let gateway: TestGateway;
  const devices = new DevicePool();
  const peers: RawPeer[] = [];

  async function openPeer(): Promise<RawPeer> {
    const peer = await RawPeer.open();
    peers.push(peer);
    return peer;
  }

  before(async () => {
    gateway = await startTestGateway();
  });

  after(async () => {
    await devices.closeAll();
    await Promise.all(peers.map((peer) => peer.close()));
    await gateway.close();
  });

  it('refuses impossible upload requests with BadParameters, echoing N and P', async () => {
    const peer = await openPeer();
    const cases: [string, number[], number[]][] = [
      ['N = 0', [1, 99, 1, 0, 0, 0, 4, 0], [1, 99, 1, ReplyStatus.BadParameters, 0, 0, 0, 4, 0]],
      [
        'P = 8 (no room for payload)',
        [1, 99, 1, 5, 0, 0, 0, 8],
        [1, 99, 1, ReplyStatus.BadParameters, 5, 0, 0, 0, 8],
      ],
      [
        'P = 65507 with N = 255',
        [1, 99, 1, 255, 0, 0, 0xff, 0xe3],
        [1, 99, 1, ReplyStatus.BadParameters, 255, 0, 0, 0xff, 0xe3],
      ],
      [
        'S larger than N × (P-8)',
        [1, 99, 1, 2, 0, 0, 4, 0, 0, 0, 0x10, 0],
        [1, 99, 1, ReplyStatus.BadParameters, 2, 0, 0, 4, 0],
      ],
    ];
    for (const [name, request, expected] of cases) {
      const reply = await peer.ask(request, gateway.udp);
      assert.deepEqual([...(reply ?? [])], expected, name);
    }
  });

  it('drops truncated and unknown frames without a word, NACKs data for no transfer', async () => {
    const peer = await openPeer();
    const silent = [
      [],
      [1],
      [1, 99],
      [1, 99, 1, 5, 0, 0, 4],
      [1, 99, 2, 0, 0, 0],
      [1, 99, 3],
      [1, 99, 3, 5],
      [1, 99, 9, 0],
      [7, 99, 1, 5, 0, 0, 4, 0],
      [0, 99, 5],
    ];
    for (const bytes of silent) await peer.send(bytes, gateway.udp);
    const ping = await peer.ask(PING, gateway.udp);
    assert.equal(
      peer.inbox.length,
      1,
      `only the ping was answered: ${peer.inbox.map((each) => each.datagram.toString('hex'))}`,
    );
    assert.deepEqual([...(ping ?? Buffer.alloc(0)).subarray(0, 4)], [0, 99, 0, PROTOCOL_VERSION]);

    const nack = await peer.ask([1, 99, 2, 0, 0, 0, 0, 2, 0xaa, 0xbb], gateway.udp);
    assert.deepEqual([...(nack ?? [])], [1, 99, 2, 0, ReplyStatus.NoSuchTransfer, 0, 0, 0, 2]);
  });

  it('survives random bytes: every answer within 32 bytes, and ping still answered', async () => {
    const peer = await openPeer();
    const random = new SeededRandom(2024);
    for (let sent = 0; sent < 2000; sent++) {
      await peer.send(random.bytes(random.below(1500)), gateway.udp);
    }
    const ping = await peer.ask(PING, gateway.udp, 2000);
    assert.ok(ping, 'the ping was answered');
    assert.ok(peer.longest <= MAX_REPLY_BYTES, `longest reply ${peer.longest} bytes`);
  });

  it('a flood of bogus datagrams from another socket does not stop real transfers', async () => {
    const flooder = await openPeer();
    flooder.keep = false;
    const deviceA = await devices.open({
      server: gateway.udp,
      firmware: FIRMWARE.A_WIFI,
      deviceId: 61,
      timeScale: 0.2,
    });
    const deviceB = await devices.open({ server: gateway.udp, firmware: FIRMWARE.B, deviceId: 62 });
    const imageA = syntheticJpeg(120_000, 61);
    const imageB = syntheticJpeg(300_000, 62);
    const flooding = flood(flooder, gateway.udp, 60_000, 7);
    const [resultA, resultB, report] = await Promise.all([
      deviceA.upload(imageA, { deadlineMs: 60_000 }),
      deviceB.upload(imageB, { deadlineMs: 60_000 }),
      flooding,
    ]);
    console.log(
      `flood: ${report.sent} bogus datagrams in ${Math.round(report.durationMs)} ms ` +
        `(${Math.round(report.sent / (report.durationMs / 1000))}/s), ${flooder.received} answered ` +
        `(longest ${flooder.longest} bytes); rss of the process hosting the gateway: ${report.rssBeforeMiB} MiB before, ` +
        `${report.rssPeakMiB} MiB peak, ${report.rssAfterMiB} MiB after`,
    );
    console.log(`during the flood: ${describeResult(resultA)}; ${describeResult(resultB)}`);
    assert.equal(resultA.ok, true, describeResult(resultA));
    assert.equal(resultB.ok, true, describeResult(resultB));
    assert.deepEqual([...resultA.violations, ...resultB.violations], []);
    assert.ok(flooder.longest <= MAX_REPLY_BYTES);
    await assertStored(gateway.storageDir, [sentBy(deviceA, imageA), sentBy(deviceB, imageB)]);
    const peer = await openPeer();
    assert.ok(await peer.ask(PING, gateway.udp, 2000), 'ping answered after the flood');
  });
});
