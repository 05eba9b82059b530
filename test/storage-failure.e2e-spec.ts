import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { FIRMWARE, FIRMWARE_TIMING, scaleTiming, syntheticJpeg, type DeviceEvent } from '#camera-emulator';
import { ReplyStatus } from '#protocol';
import { DevicePool, describeResult, sentBy } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { assertStored } from './support/stored-images.js';

/**
 * The disk fails as the last packet comes in: STORAGE_DIR is swapped for a regular file, so the
 * final write fails. The device must not be told the image is safe; once the directory is back,
 * its own retry gets the image stored, once.
 */
describe('storage failing during an upload', () => {
  let gateway: TestGateway;
  const devices = new DevicePool();
  const sent: ReturnType<typeof sentBy>[] = [];

  before(async () => {
    // The failed writes are logged as errors: expected here.
    gateway = await startTestGateway({ LOG_LEVEL: 'fatal' });
  });

  after(async () => {
    await devices.closeAll();
    await gateway.close();
  });

  /** Replaces STORAGE_DIR by a regular file, and puts it back. */
  const disk = {
    broken: false,
    break(): void {
      renameSync(gateway.storageDir, `${gateway.storageDir}.away`);
      writeFileSync(gateway.storageDir, 'not a directory\n');
      this.broken = true;
    },
    repair(): void {
      rmSync(gateway.storageDir);
      renameSync(`${gateway.storageDir}.away`, gateway.storageDir);
      this.broken = false;
    },
  };

  it('generation A: the last packet is NACKed (storage failure) until the disk is back, then ACKed', async () => {
    const image = syntheticJpeg(20_001, 81);
    const lastIndex = 19;
    const seen: string[] = [];
    const observer = (event: DeviceEvent): void => {
      if (event.type === 'packet-sent' && event.index === lastIndex && !event.resend) disk.break();
      if (
        (event.type === 'nack' || event.type === 'timeout' || event.type === 'ack') &&
        event.index === lastIndex
      ) {
        seen.push(
          `${event.type}${event.type === 'nack' ? ` ${event.status}` : ''}${disk.broken ? ' (disk broken)' : ''}`,
        );
        if (disk.broken && seen.length >= 3) disk.repair();
      }
    };
    const device = await devices.open({
      server: gateway.udp,
      firmware: FIRMWARE.A_WIFI,
      deviceId: 81,
      timeScale: 0.05,
      observer,
    });
    const result = await device.upload(image, { deadlineMs: 20_000 });
    console.log(`disk failure, A: ${describeResult(result)}; last packet: ${seen.join(', ')}`);
    assert.equal(result.ok, true, describeResult(result));
    assert.equal(disk.broken, false);
    const whileBroken = seen.filter((each) => each.endsWith('(disk broken)'));
    assert.equal(whileBroken.length, 3);
    assert.ok(
      !whileBroken.some((each) => each.startsWith('ack')),
      'no ACK while the image could not be stored',
    );
    assert.ok(
      whileBroken.includes(`nack ${ReplyStatus.StorageFailure} (disk broken)`),
      'told of the storage failure',
    );
    assert.equal(seen.at(-1), 'ack');
    sent.push(sentBy(device, image));
    await assertStored(gateway.storageDir, sent);
  });

  it('generation B: the last packet stays listed missing until the disk is back, then the list is empty', async () => {
    const image = syntheticJpeg(50_001, 82);
    const lastIndex = 34;
    const lists: string[] = [];
    const observer = (event: DeviceEvent): void => {
      if (event.type === 'packet-sent' && event.index === lastIndex && !event.resend) disk.break();
      if (event.type === 'missing') {
        lists.push(`[${event.indices.join(',')}]${disk.broken ? ' (disk broken)' : ''}`);
        if (disk.broken && lists.length >= 3) disk.repair();
      }
    };
    const device = await devices.open({
      server: gateway.udp,
      firmware: FIRMWARE.B,
      deviceId: 82,
      timing: scaleTiming(FIRMWARE_TIMING.B, 0.25),
      observer,
    });
    const result = await device.upload(image, { deadlineMs: 20_000 });
    console.log(`disk failure, B: ${describeResult(result)}; lists: ${lists.join(', ')}`);
    assert.equal(result.ok, true, describeResult(result));
    assert.deepEqual(result.violations, []);
    assert.equal(disk.broken, false);
    assert.deepEqual(lists.slice(0, 3), Array(3).fill(`[${lastIndex}] (disk broken)`));
    assert.equal(lists.at(-1), '[]');
    sent.push(sentBy(device, image));
    await assertStored(gateway.storageDir, sent);
  });
});
