import { DATA_HEADER_BYTES, UPLOAD_REQUEST_BASE_BYTES } from '#protocol';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../common/fake-clock.js';
import { decodeSegment, replay } from '../spool/segment-format.js';
import { Spool } from '../spool/spool.js';
import { TransferHarness, type HarnessOptions } from './testing/transfer-harness.js';
import { CAMERA, imageOf, turnsPass, Upload } from './testing/uploads.js';

/** What a device sent for a restored transfer of `packets` full packets: its request and each packet. */
function creditOf(packets: number): number {
  return UPLOAD_REQUEST_BASE_BYTES + packets * (DATA_HEADER_BYTES + 1016);
}

const FIVE = new Upload(imageOf(4 * 1016 + 10));

describe('TransfersService with a spool: restarts', () => {
  let clock: FakeClock;
  let root: string;
  let running: TransferHarness[];

  async function start(options: HarnessOptions = {}): Promise<TransferHarness> {
    const gateway = await TransferHarness.start(root, clock, { spool: true, ...options });
    running.push(gateway);
    return gateway;
  }

  async function stopAndWait(
    gateway: TransferHarness,
    upload: Upload,
    upTo = upload.packetCount,
  ): Promise<void> {
    assert.deepEqual(await gateway.send(upload.request()), upload.acceptance());
    assert.deepEqual(await gateway.sendPastProbe(upload.packet(0)), upload.replyTo(0));
    for (let index = 1; index < upTo; index++)
      assert.deepEqual(await gateway.send(upload.packet(index)), upload.replyTo(index));
  }

  async function imagesOnDisk(): Promise<number> {
    let count = 0;
    for (const day of (await readdir(root)).filter((name) => !name.startsWith('.'))) {
      for (const device of await readdir(join(root, day))) {
        count += (await readdir(join(root, day, device))).filter((name) => name.endsWith('.jpg')).length;
      }
    }
    return count;
  }

  /** The packets the spool's files hold now, as a restart would read them, by transfer. */
  function spooledPackets(): number[][] {
    const directory = join(root, '.spool');
    const segments = readdirSync(directory).filter((name) => name.startsWith('segment-'));
    const records = segments
      .sort()
      .flatMap((name) => decodeSegment(readFileSync(join(directory, name))).records);
    return replay(records).map((transfer) => [...transfer.packets.keys()].sort((a, b) => a - b));
  }

  beforeEach(async () => {
    clock = new FakeClock();
    root = await mkdtemp(join(tmpdir(), 'transfers-spool-'));
    running = [];
  });

  afterEach(async () => {
    for (const gateway of running) gateway.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('resumes a stop-and-wait transfer after a crash: the resent packet is simply ACKed, without a probe', async () => {
    const first = await start();
    await stopAndWait(first, FIVE, 2);
    first.crash();
    clock.advance(3000);
    const second = await start();
    assert.deepEqual(second.seen('restored'), ['2 packets, stop-and-wait']);
    assert.deepEqual(
      second.credits,
      [[CAMERA.address, creditOf(2)]],
      'the reply budget its packets had earned',
    );
    assert.deepEqual(await second.send(FIVE.packet(1)), [1, 99, 2, 1, 0, 0, 0, 3, 248]);
    for (const index of [2, 3]) assert.deepEqual(await second.send(FIVE.packet(index)), FIVE.replyTo(index));
    assert.deepEqual(await second.send(FIVE.packet(4)), [1, 99, 2, 4, 0, 0, 0, 0, 10]);
    assert.ok((await readFile(second.stored[0]!.imagePath)).equals(FIVE.image));
  });

  it('resumes a burst transfer as burst: its next end of transfer gets the missing list', async () => {
    const first = await start();
    await first.send(FIVE.request());
    for (const index of [0, 1, 3]) void first.send(FIVE.packet(index));
    await turnsPass();
    first.crash();
    const second = await start();
    assert.deepEqual(second.seen('restored'), ['3 packets, burst']);
    assert.deepEqual(second.credits, [[CAMERA.address, creditOf(3)]]);
    assert.deepEqual(await second.send(FIVE.end()), [1, 99, 3, 2, 2, 4]);
    assert.deepEqual(await Promise.all([second.send(FIVE.packet(2)), second.send(FIVE.packet(4))]), [
      undefined,
      undefined,
    ]);
    assert.deepEqual(await second.send(FIVE.end()), [1, 99, 3, 0]);
    assert.ok((await readFile(second.stored[0]!.imagePath)).equals(FIVE.image));
  });

  it('sends a missing list once the packets it reports received are in the spool', async () => {
    const gateway = await start();
    await gateway.send(FIVE.request());
    // One turn: the burst and its end of transfer read together.
    for (const index of [0, 1, 3]) void gateway.send(FIVE.packet(index));
    let spooledWhenListed: number[][] = [];
    const list = gateway.send(FIVE.end()).then((reply) => ((spooledWhenListed = spooledPackets()), reply));
    assert.deepEqual(await list, [1, 99, 3, 2, 2, 4]);
    assert.deepEqual(spooledWhenListed, [[0, 1, 3]]);
  });

  it('restores the transfers beyond MAX_TRANSFERS dormant; a dormant one wakes once there is room', async () => {
    const first = await start();
    const two = new Upload(imageOf(1016 + 50, 4));
    const cameras = [1, 2, 3].map((port) => ({ ...CAMERA, port }));
    for (const camera of cameras) {
      await first.send(two.request(), camera);
      await first.sendPastProbe(two.packet(0), camera);
      clock.advance(100);
    }
    first.crash();
    const second = await start({ limits: { maxTransfers: 2 } });
    assert.deepEqual([second.service.activeTransfers, second.service.dormantTransfers], [2, 1]);
    assert.deepEqual(await second.send(two.packet(1), cameras[0]), [1, 99, 2, 1, 0, 0, 0, 0, 50]);
    assert.deepEqual(
      await second.send(two.packet(1), cameras[2]),
      [1, 99, 2, 1, 0, 0, 0, 0, 50],
      'the newest came back dormant',
    );
    assert.deepEqual([second.service.activeTransfers, second.service.dormantTransfers], [1, 0]);
    assert.equal(second.stored.length, 2);
  });

  it('drains on SIGTERM without waiting for transfers in progress: they resume in the next process', async () => {
    const first = await start();
    await stopAndWait(first, FIVE, 2);
    first.service.beginDrain();
    assert.equal(await first.service.drain(10_000), 1, 'one transfer left in flight');
    const second = await start();
    assert.deepEqual(second.seen('restored'), ['2 packets, stop-and-wait']);
  });

  it('starts with less MAX_REASSEMBLY_BYTES than the transfers it restores hold, keeping what fits', async () => {
    const first = await start();
    const four = new Upload(imageOf(4 * 1016));
    const [older, newer] = [1, 2].map((port) => ({ ...CAMERA, port }));
    for (const camera of [older!, newer!]) {
      await first.send(four.request(), camera);
      await first.sendPastProbe(four.packet(0), camera);
      for (const index of [1, 2]) await first.send(four.packet(index), camera);
      clock.advance(100);
    }
    first.crash();
    const second = await start({ limits: { maxTransfers: 1, maxReassemblyBytes: 4 * 1016 } });
    assert.deepEqual(second.seen('restored'), ['3 packets, stop-and-wait']);
    assert.deepEqual(second.seen('aborted'), ['no-memory'], 'the one that does not fit, given up');
    assert.equal(second.service.bufferedBytes, 3 * 1016, 'nothing of the one given up');
    assert.deepEqual(second.credits, [[CAMERA.address, creditOf(3)]]);
    assert.deepEqual(await second.send(four.packet(3), older), [1, 99, 2, 3, 0, 0, 0, 3, 248]);
    assert.ok((await readFile(second.stored[0]!.imagePath)).equals(four.image));
    assert.deepEqual(await second.send(four.packet(3), newer), [1, 99, 2, 3, 4, 0, 0, 3, 248]);
    assert.equal(second.service.bufferedBytes, 0);
    // What was given up is not in the spool any more: the next start does not try it again.
    second.crash();
    const third = await start({ limits: { maxTransfers: 1, maxReassemblyBytes: 4 * 1016 } });
    assert.deepEqual([third.seen('restored'), third.seen('aborted')], [[], []]);
  });

  it('answers a late final packet after a restart that followed the final ACK, without storing again', async () => {
    await stopAndWait(await start(), FIVE);
    clock.advance(5000);
    const second = await start();
    assert.deepEqual(await second.send(FIVE.packet(4)), [1, 99, 2, 4, 0, 0, 0, 0, 10]);
    assert.equal(second.stored.length, 0);
    assert.equal(await imagesOnDisk(), 1);
  });

  it('forgets a stored transfer after COMPLETED_RECORD_TTL_MS, across a restart too', async () => {
    const first = await start();
    await stopAndWait(first, FIVE);
    first.stop();
    clock.advance(120_000 + 1);
    const second = await start();
    assert.deepEqual(await second.send(FIVE.packet(4)), [1, 99, 2, 4, 4, 0, 0, 0, 10]);
    assert.equal(second.stored.length, 0);
  });

  it('moves a file it does not know to quarantine instead of failing the start', async () => {
    await mkdir(join(root, '.spool'), { recursive: true });
    await writeFile(join(root, '.spool', 'deadbeef0000.spool'), 'garbage');
    const gateway = await start();
    assert.deepEqual(gateway.seen('quarantined'), ['deadbeef0000.spool']);
    assert.deepEqual(await readdir(join(root, '.spool', 'quarantine')), ['deadbeef0000.spool']);
    assert.deepEqual(await gateway.send(FIVE.request()), FIVE.acceptance());
  });

  it('never ACKs the last packet while one is missing (lost with a damaged spool), and says once the device is stranded', async () => {
    const spool = new Spool(join(root, '.spool'), { completedRecordTtlMs: 120_000 });
    await spool.recover(clock.now());
    const four = new Upload(imageOf(3 * 1016 + 20));
    spool.segments.begin(
      {
        transferId: 'feedc0ffee00',
        clientType: 1,
        deviceId: 99,
        remote: CAMERA,
        packetCount: 4,
        maxPacketSize: 1024,
        imageSize: null,
        acceptedAt: clock.now(),
        flowMode: 'stop-and-wait',
      },
      () => undefined,
    );
    for (const index of [0, 2]) spool.segments.append('feedc0ffee00', index, four.payloadOf(index));
    spool.closeAll();
    const gateway = await start();
    assert.deepEqual(gateway.seen('restored'), ['2 packets, stop-and-wait']);
    for (const wait of [0, 5100, 5100]) {
      clock.advance(wait);
      assert.equal(
        await gateway.send(four.packet(3)),
        undefined,
        'its ACK would tell the camera the image is stored',
      );
    }
    assert.deepEqual(gateway.seen('stranded'), ['lost-packets']);
    assert.equal(gateway.stored.length, 0);
  });
});

describe('TransfersService with a spool that cannot write', () => {
  let clock: FakeClock;
  let root: string;
  let gateway: TransferHarness;
  const EIGHT = new Upload(imageOf(8 * 1016));

  beforeEach(async () => {
    clock = new FakeClock();
    root = await mkdtemp(join(tmpdir(), 'transfers-spool-full-'));
    gateway = await TransferHarness.start(root, clock, { spool: { segmentBytes: 4096 } });
    // The spool's next segment is /dev/full: records past the first 4 KB cannot be written.
    const directory = join(root, '.spool');
    const [first] = (await readdir(directory)).filter((name) => name.startsWith('segment-'));
    const next = first!.replace(/\d+/, (number) => String(Number(number) + 1).padStart(number.length, '0'));
    await symlink('/dev/full', join(directory, next));
    assert.deepEqual(await gateway.send(EIGHT.request()), EIGHT.acceptance());
    assert.deepEqual(await gateway.sendPastProbe(EIGHT.packet(0)), [1, 99, 2, 0, 0, 0, 0, 3, 248]);
    // The header and three packets fit the first segment.
    for (const index of [1, 2])
      assert.deepEqual(await gateway.send(EIGHT.packet(index)), EIGHT.replyTo(index));
  });

  afterEach(async () => {
    gateway.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('NACKs a packet the spool could not write with storage failure, and takes it back', async () => {
    assert.deepEqual(await gateway.send(EIGHT.packet(3)), [1, 99, 2, 3, 7, 0, 0, 3, 248]);
    assert.equal(gateway.service.bufferedBytes, 3 * 1016, 'not kept: the device sends it again');
  });

  it('answers the device’s resend of the packet it took back (NACK again while the spool cannot write)', async () => {
    assert.deepEqual(await gateway.send(EIGHT.packet(3)), [1, 99, 2, 3, 7, 0, 0, 3, 248]);
    for (let resend = 0; resend < 3; resend++) {
      clock.advance(5100);
      assert.deepEqual(await gateway.send(EIGHT.packet(3)), [1, 99, 2, 3, 7, 0, 0, 3, 248]);
    }
    assert.equal(gateway.retransmissions['stale-packet'], 0);
  });
});
