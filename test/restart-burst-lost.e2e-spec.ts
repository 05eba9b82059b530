import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { syntheticJpeg } from '#camera-emulator';
import { describeBurstAcrossKill, uploadBurstAcrossKill } from './support/burst-restart.js';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { GatewayProcess } from './support/gateway-process.js';
import { RawPeer } from './support/raw-peer.js';
import { assertStored } from './support/stored-images.js';
import { PRODUCTION_WINDOWS } from './support/windows.js';

/**
 * Issue 10, failure 7a, as the lead described it: the gateway is killed right after
 * generation B's request is accepted, so that its whole burst (101 packets) is lost in the
 * outage. The restored transfer holds no packet: before the fix the amplification budget was
 * credited with the payload restored (none), the first missing list after the restart was cut to
 * what the camera's end of transfer alone pays for (8 indices) and the camera ran out of its 7
 * rounds with 9 packets still missing. The restored request is credited too now (the 8 bytes the
 * camera will not send again), with every restored packet's header: the first list is full.
 */
describe('generation B whose whole burst was lost in a restart', () => {
  const devices = new DevicePool();
  let root: string;
  let gateway: GatewayProcess;
  let peer: RawPeer;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'restart-burst-lost-'));
    gateway = await GatewayProcess.create({ STORAGE_DIR: join(root, 'images'), ...PRODUCTION_WINDOWS });
    await gateway.start();
    peer = await RawPeer.open();
  });

  after(async () => {
    await devices.closeAll();
    await peer.close();
    await gateway.kill();
    await rm(root, { recursive: true, force: true });
  });

  it(
    'completes within its 7 rounds when all 101 packets of its burst were lost in a 2 s kill -9 restart',
    {},
    async () => {
      const image = syntheticJpeg(101 * 1452 - 700, 73);
      const run = await uploadBurstAcrossKill(gateway, devices, peer, image, {
        deviceId: 73,
        bindAddress: '127.0.0.73',
        arrived: 0,
        outageMs: 2000,
      });
      console.log(describeBurstAcrossKill(run));
      const { device, result, lists } = run;
      assert.equal(
        result.ok,
        true,
        `${describeResult(result)}; lists of ${lists.map((list) => list.length).join(', ')}`,
      );
      await assertStored(join(root, 'images'), [sentBy(device, image)]);
    },
  );
});
