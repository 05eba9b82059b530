import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CameraDevice, FIRMWARE, SeededRandom, syntheticJpeg, type DeviceEvent } from '#camera-emulator';
import { GatewayProcess } from './support/gateway-process.js';
import { sha256, readStoredImages } from './support/stored-images.js';

/** When, in a transfer, the gateway is killed. */
type KillPoint = (event: DeviceEvent) => boolean;

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function storage(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'restart-e2e-'));
  roots.push(root);
  return join(root, 'images');
}

/**
 * Uploads one image while the gateway is SIGKILLed at `killPoint` and started again on the same
 * ports and disk; the camera just keeps retrying, as the firmware does.
 */
async function uploadAcrossKill(
  firmware: (typeof FIRMWARE)[keyof typeof FIRMWARE],
  image: Buffer,
  killPoint: KillPoint,
  options: { timeScale: number; dropFinalAck?: boolean },
) {
  const storageDir = await storage();
  const gateway = await GatewayProcess.create({ STORAGE_DIR: storageDir });
  await gateway.start();
  let restarted: Promise<void> | undefined;
  const camera = await CameraDevice.open({
    server: gateway.udp,
    firmware,
    timeScale: options.timeScale,
    link: options.dropFinalAck
      ? {
          drop: (datagram, direction) =>
            direction === 'incoming' && datagram[2] === 2 && restarted === undefined && isFinalAck(datagram),
        }
      : undefined,
    observer: (event) => {
      if (restarted === undefined && killPoint(event)) {
        restarted = gateway.kill().then(() => gateway.start());
      }
    },
  });
  let finalIndex = -1;
  function isFinalAck(datagram: Buffer): boolean {
    return datagram[3] === finalIndex;
  }
  try {
    finalIndex = Math.ceil(image.length / (firmware.maxPacketSize - 8)) - 1;
    const result = await camera.upload(image, { deadlineMs: 30_000 });
    await restarted;
    return { result, killed: restarted !== undefined, storageDir };
  } finally {
    await camera.close();
    await gateway.kill();
  }
}

async function assertStoredOnce(storageDir: string, image: Buffer): Promise<void> {
  const stored = await readStoredImages(storageDir);
  assert.equal(stored.length, 1, `exactly one image stored, found ${stored.length}`);
  assert.equal(stored[0]!.sha256, sha256(image));
  assert.ok(stored[0]!.bytes.equals(image));
}

describe('restarts lose nothing (kill -9 of the gateway process)', () => {
  const random = new SeededRandom(20261127);
  const image = syntheticJpeg(40 * 1452 + 333, 7);

  const sentBeforeKill = 1 + Math.floor(random.next() * 38);
  const ackedBeforeKill = 1 + Math.floor(random.next() * 38);
  const generationA: [string, KillPoint][] = [
    ['before the request reply', (event) => event.type === 'request-sent'],
    [
      `mid-data (packet ${sentBeforeKill} sent, not yet ACKed)`,
      (event) => event.type === 'packet-sent' && event.index === sentBeforeKill,
    ],
    [
      `mid-data (right after the ACK of packet ${ackedBeforeKill})`,
      (event) => event.type === 'ack' && event.index === ackedBeforeKill,
    ],
  ];
  for (const [when, killPoint] of generationA) {
    it(`generation A completes, stored once, when killed ${when}`, async () => {
      const { result, killed, storageDir } = await uploadAcrossKill(FIRMWARE.A_ETHERNET, image, killPoint, {
        timeScale: 0.2,
      });
      assert.ok(killed, 'the kill point was reached');
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual(result.violations, []);
      await assertStoredOnce(storageDir, image);
    });
  }

  it('generation A whose final ACK was lost gets it from the restarted gateway, image stored once', async () => {
    const last = Math.ceil(image.length / 1452) - 1;
    const { result, killed, storageDir } = await uploadAcrossKill(
      FIRMWARE.A_ETHERNET,
      image,
      (event) => event.type === 'packet-sent' && event.index === last && !event.resend,
      { timeScale: 0.2, dropFinalAck: true },
    );
    assert.ok(killed);
    assert.equal(result.ok, true, JSON.stringify(result));
    await assertStoredOnce(storageDir, image);
  });

  const generationB: [string, KillPoint][] = [
    [
      `mid-burst (after packet ${20} was sent)`,
      (event) => event.type === 'packet-sent' && event.index === 20,
    ],
    ['after its end of transfer', (event) => event.type === 'end-of-transfer-sent'],
  ];
  for (const [when, killPoint] of generationB) {
    it(`generation B completes, stored once, when killed ${when}`, async () => {
      const { result, killed, storageDir } = await uploadAcrossKill(FIRMWARE.B, image, killPoint, {
        timeScale: 1,
      });
      assert.ok(killed);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual(result.violations, []);
      await assertStoredOnce(storageDir, image);
    });
  }

  it('quarantines an unreadable spool file with a log line and starts normally', async () => {
    const storageDir = await storage();
    await mkdir(join(storageDir, '.spool'), { recursive: true });
    await writeFile(
      join(storageDir, '.spool', '0123456789ab.spool'),
      Buffer.from('CIS1\x00\x00\x00\x40{"trunc'),
    );
    const gateway = await GatewayProcess.create({ STORAGE_DIR: storageDir });
    try {
      await gateway.start();
      assert.deepEqual(await readdir(join(storageDir, '.spool', 'quarantine')), ['0123456789ab.spool']);
      assert.match(gateway.output, /unreadable spool file put in quarantine/);
    } finally {
      await gateway.kill();
    }
  });
});
