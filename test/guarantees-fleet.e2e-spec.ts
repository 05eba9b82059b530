import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIRMWARE, syntheticJpeg } from '#camera-emulator';
import { encodeDeviceFrame } from '#protocol';
import { describeBurstAcrossKill, uploadBurstAcrossKill } from './support/burst-restart.js';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { GatewayProcess } from './support/gateway-process.js';
import { RawPeer } from './support/raw-peer.js';
import { restartGateway, waitUntilDraining } from './support/restarts.js';
import { StoppableClock } from './support/stoppable-clock.js';
import { assertStored } from './support/stored-images.js';
import { PRODUCTION_WINDOWS } from './support/windows.js';

/** The request of a 3-packet upload at P = 1460, and its packet 0: a transfer left half-open. */
function halfOpen(deviceId: number): { request: number[]; packet0: Buffer } {
  const payload = Buffer.alloc(1452, deviceId);
  return {
    request: [1, deviceId, 1, 3, 0, 0, 0x05, 0xb4],
    packet0: encodeDeviceFrame({ kind: 'data', deviceId, index: 0, declaredLength: payload.length, payload }),
  };
}

/** Opens a transfer (request, then packet 0) for each id from `peer`; how many were accepted. */
async function openHalfOpen(
  peer: RawPeer,
  gateway: GatewayProcess,
  deviceIds: readonly number[],
): Promise<number> {
  const before = peer.inbox.length;
  for (const deviceId of deviceIds) await peer.send(halfOpen(deviceId).request, gateway.udp);
  // Every request is answered: accepted, or refused (busy) once the slots are taken.
  await peer.waitFor(before + deviceIds.length, 10_000);
  const accepted = peer.inbox
    .slice(before)
    .filter(({ datagram }) => datagram[2] === 1 && datagram[3] === 0)
    .map(({ datagram }) => datagram[1]!);
  for (const deviceId of accepted) await peer.send(halfOpen(deviceId).packet0, gateway.udp);
  return accepted.length;
}

/** "One host never locks out the fleet; generation B survives a short restart" (issue 10, failures 6-7). */
describe('the fleet across hostile hosts and restarts (issue 10, failures 6-7)', () => {
  const devices = new DevicePool();
  const peers: RawPeer[] = [];
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'guarantees-fleet-'));
  });

  after(async () => {
    await devices.closeAll();
    await Promise.all(peers.map((peer) => peer.close()));
    await rm(root, { recursive: true, force: true });
  });

  async function openPeer(address = '127.0.0.1'): Promise<RawPeer> {
    const peer = await RawPeer.open(address);
    peers.push(peer);
    return peer;
  }

  // Issue 10, failure 6. A small MAX_TRANSFERS keeps the test short: the rule is the same at 1024.
  describe('one address holding every transfer in progress', () => {
    const maxTransfers = 64;
    let gateway: GatewayProcess;
    let storageDir: string;
    const sent: ReturnType<typeof sentBy>[] = [];

    before(async () => {
      storageDir = join(root, 'lockout');
      gateway = await GatewayProcess.create({
        STORAGE_DIR: storageDir,
        MAX_TRANSFERS: maxTransfers,
        ...PRODUCTION_WINDOWS,
      });
      await gateway.start();
    });

    after(() => gateway.kill());

    /** A generation-A camera from another address uploads one image; firmware timing. */
    async function uploadFromAnotherAddress(deviceId: number): Promise<void> {
      const device = await devices.open({
        server: gateway.udp,
        firmware: FIRMWARE.A_ETHERNET,
        deviceId,
        bindAddress: '127.0.0.2',
      });
      const image = syntheticJpeg(5 * 1452 + 42, deviceId);
      // A refused request looks like silence to the firmware: it asks again after 5.1 s, once here.
      const result = await device.upload(image, { deadlineMs: 7000 });
      assert.equal(result.ok, true, describeResult(result));
      sent.push(sentBy(device, image));
      await assertStored(storageDir, sent);
    }

    it('a camera from another address is served while one address holds more half-open transfers than MAX_TRANSFERS', async () => {
      // 80 half-open transfers from one address: 4 ports × 20 ids.
      let accepted = 0;
      for (let port = 0; port < 4; port++) {
        const peer = await openPeer();
        accepted += await openHalfOpen(
          peer,
          gateway,
          Array.from({ length: 20 }, (_, id) => 100 + id),
        );
      }
      assert.equal(accepted, maxTransfers, 'the address filled every slot');
      await uploadFromAnotherAddress(1);
    });

    it('and still after a kill -9: the transfers restored from the spool do not lock the fleet out', async () => {
      await restartGateway(gateway, 'SIGKILL');
      assert.match(gateway.output, /transfer resumed from the spool/);
      await uploadFromAnotherAddress(2);
    });
  });

  // Issue 10, failure 7. Generation B gives up after 7 tries (about 7.7 s): an outage must be
  // shorter, and what it sent before must still count. The camera lives through a restart of
  // 2 s, as in the issue, whatever this machine's load makes of the next process's start-up (its
  // clock stops meanwhile); the real outages are measured and printed.
  describe('generation B across short restarts', () => {
    let gateway: GatewayProcess;
    let storageDir: string;
    let peer: RawPeer;

    before(async () => {
      storageDir = join(root, 'restarts');
      gateway = await GatewayProcess.create({ STORAGE_DIR: storageDir, ...PRODUCTION_WINDOWS });
      await gateway.start();
      peer = await openPeer();
    });

    after(() => gateway.kill());

    it('generation B completes within its 7 rounds when 101 packets of its burst were lost in a 2 s kill -9 restart', async () => {
      const image = syntheticJpeg(150 * 1452 - 500, 71);
      const run = await uploadBurstAcrossKill(gateway, devices, peer, image, {
        deviceId: 71,
        bindAddress: '127.0.0.71',
        arrived: 49,
        outageMs: 2000,
      });
      console.log(describeBurstAcrossKill(run));
      const { device, result, lists } = run;
      assert.equal(result.ok, true, describeResult(result));
      assert.equal(
        lists[0]!.length,
        28,
        'the first list after the restart is full: what arrived before still counts',
      );
      await assertStored(storageDir, [sentBy(device, image)], { others: true });
    });

    it('generation B completes when its upload starts during a rolling redeploy (SIGTERM, the next process at once)', async () => {
      // A camera that lost power mid-upload: a transfer in progress that never ends.
      const stale = halfOpen(9);
      assert.equal(
        (await peer.ask(stale.request, gateway.udp, 5000))?.[3],
        0,
        'the stale transfer is accepted',
      );
      assert.equal((await peer.ask(stale.packet0, gateway.udp, 5000))?.[4], 0, 'its packet 0 is ACKed');

      const clock = new StoppableClock();
      const device = await devices.open({
        server: gateway.udp,
        firmware: FIRMWARE.B,
        deviceId: 72,
        bindAddress: '127.0.0.72',
        clock,
      });
      const image = syntheticJpeg(60 * 1452 - 9, 72);
      let exited = false;
      const restarted = restartGateway(gateway, 'SIGTERM', {
        peer,
        camera: { clock, outageMs: 2000 },
        onExit: () => (exited = true),
      });
      // The camera's request comes once the process drains (or has already exited).
      await waitUntilDraining(await openPeer(), gateway.udp, () => exited);
      const result = await device.upload(image, { deadlineMs: 60_000 });
      const outage = await restarted;
      console.log(
        `SIGTERM: the process exited ${Math.round(outage.exitMs)} ms after the signal, the next answered a ping ` +
          `${Math.round(outage.servingMs)} ms after it (load average ${loadavg()[0]!.toFixed(1)})`,
      );
      assert.equal(result.ok, true, describeResult(result));
      assert.ok(
        outage.exitMs < 3000,
        `exited ${Math.round(outage.exitMs)} ms after SIGTERM, not after a grace`,
      );
      await assertStored(storageDir, [sentBy(device, image)], { others: true });
    });
  });
});
