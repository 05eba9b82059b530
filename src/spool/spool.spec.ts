import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SeededRandom } from '#camera-emulator';
import type { CompletedTransfer, FlowMode } from '../common/transfer-model.js';
import type { SpoolHeader } from './segment-format.js';
import { MAX_FREE_SEGMENTS, MAX_LIVE_SEGMENTS } from './segment-files.js';
import { Spool, type SpoolOptions } from './spool.js';

const TTL_MS = 60_000;
const NOW = 1_767_225_600_000;
/** Small segments: a few thousand operations go through many of them. */
const LIMITS: SpoolOptions = { completedRecordTtlMs: TTL_MS, segmentBytes: 16 * 1024 };

/** What a transfer in flight holds, as the gateway would have it in memory. */
interface ModelTransfer {
  header: SpoolHeader;
  packets: Map<number, Buffer>;
  flowMode: FlowMode;
}

function headerOf(number: number, packetCount: number): SpoolHeader {
  return {
    transferId: number.toString(16).padStart(12, '0'),
    clientType: 1,
    deviceId: number % 256,
    remote: { address: `10.0.0.${number % 200}`, port: 44444 },
    packetCount,
    maxPacketSize: 1024,
    imageSize: null,
    acceptedAt: NOW + number,
    flowMode: 'probing',
  };
}

/** The record the gateway logs once transfer `header` is stored. */
function completionOf(header: SpoolHeader, imageId: string, storedAt: number): CompletedTransfer {
  return {
    ...header,
    flowMode: 'burst',
    imageId,
    storedAt,
    packetDigests: new Uint32Array(header.packetCount),
    imageChecksum: 0,
  };
}

describe('Spool (real files)', () => {
  let directory: string;
  const open: Spool[] = [];

  async function start(limits: SpoolOptions = LIMITS, now = NOW) {
    const spool = new Spool(directory, limits);
    open.push(spool);
    const recovery = await spool.recover(now);
    return { spool, recovery };
  }

  /** Puts back every recovered transfer, as the gateway does, and settles. */
  function keepAll(spool: Spool, transfers: Iterable<ModelTransfer>): void {
    for (const transfer of transfers) {
      spool.segments.begin({ ...transfer.header, flowMode: transfer.flowMode }, (index) =>
        transfer.packets.get(index),
      );
      for (const [index, payload] of transfer.packets)
        spool.segments.append(transfer.header.transferId, index, payload);
    }
    assert.equal(spool.segments.settle(), true);
  }

  async function segmentFiles(): Promise<string[]> {
    return (await readdir(directory)).filter((name) => name.startsWith('segment-'));
  }

  /** A segment holding transfer 1's packet 0 in one write, then its packet 1 damaged: its name. */
  async function damagedSegment(): Promise<string> {
    const { spool } = await start();
    spool.segments.begin(headerOf(1, 3), () => undefined);
    spool.segments.append(headerOf(1, 3).transferId, 0, Buffer.alloc(500, 1));
    spool.segments.flush();
    spool.segments.append(headerOf(1, 3).transferId, 1, Buffer.alloc(500, 2));
    spool.segments.flush();
    spool.closeAll();
    const [segment] = await segmentFiles();
    const bytes = await readFile(join(directory, segment));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(join(directory, segment), bytes);
    return segment!;
  }

  beforeEach(async () => {
    directory = join(await mkdtemp(join(tmpdir(), 'spool-unit-')), '.spool');
  });

  afterEach(async () => {
    for (const spool of open.splice(0)) spool.closeAll();
    await rm(join(directory, '..'), { recursive: true, force: true });
  });

  it('writes a turn’s records together, and says when they are written', async () => {
    const { spool } = await start();
    spool.segments.begin(headerOf(1, 2), () => undefined);
    spool.segments.append(headerOf(1, 2).transferId, 0, Buffer.alloc(1016, 1));
    const written = spool.segments.whenWritten();
    assert.ok(written, 'records wait for the end of the turn');
    assert.equal(await written, true);
    assert.equal(spool.segments.whenWritten(), undefined);
    const again = await start();
    assert.deepEqual(
      again.recovery.inFlight.map((transfer) => [transfer.header.transferId, [...transfer.packets.keys()]]),
      [[headerOf(1, 2).transferId, [0]]],
    );
  });

  it('brings back neither ended transfers nor completed ones, and remembers completions for the retention', async () => {
    const { spool } = await start();
    for (const number of [1, 2, 3]) spool.segments.begin(headerOf(number, 1), () => undefined);
    spool.segments.discard(headerOf(1, 1).transferId);
    spool.completed.append(completionOf(headerOf(2, 1), 'day/2_10.0.0.2/000000000-2', NOW));
    spool.segments.discard(headerOf(2, 1).transferId);
    spool.segments.flush();
    const soon = await start(LIMITS, NOW + TTL_MS - 1);
    assert.deepEqual(
      soon.recovery.inFlight.map((transfer) => transfer.header.transferId),
      [headerOf(3, 1).transferId],
    );
    assert.deepEqual(
      soon.recovery.completed.map((completion) => completion.imageId),
      ['day/2_10.0.0.2/000000000-2'],
    );
    const late = await start(LIMITS, NOW + 3 * TTL_MS);
    assert.deepEqual(late.recovery.completed, []);
    assert.deepEqual(
      (await readdir(directory)).filter((name) => name.startsWith('completed-')),
      [],
      'expired completed logs are deleted',
    );
  });

  it('survives any sequence of transfers and restarts, with slow ones among fast ones, on a bounded disk', async () => {
    const random = new SeededRandom(20261127);
    const model = new Map<string, ModelTransfer>();
    let { spool } = await start();
    let nextNumber = 1;
    let restarts = 0;
    let mostSegments = 0;
    for (let step = 0; step < 6000; step++) {
      const live = [...model.values()];
      const roll = random.next();
      if (live.length < 3 || roll < 0.04) {
        const header = headerOf(nextNumber++, 1 + random.below(20));
        const transfer: ModelTransfer = { header, packets: new Map(), flowMode: 'probing' };
        model.set(header.transferId, transfer);
        spool.segments.begin(header, (index) => transfer.packets.get(index));
      } else if (roll < 0.06) {
        // Slow cameras (the first transfers) linger; the others end.
        const transfer = live[live.length - 1 - random.below(Math.max(1, live.length - 2))]!;
        model.delete(transfer.header.transferId);
        spool.segments.discard(transfer.header.transferId);
      } else if (roll < 0.07) {
        const transfer = live[random.below(live.length)]!;
        transfer.flowMode = random.chance(0.5) ? 'burst' : 'stop-and-wait';
        spool.segments.recordFlowMode(transfer.header.transferId, transfer.flowMode);
      } else {
        const transfer = live[random.below(live.length)]!;
        const index = random.below(transfer.header.packetCount);
        if (!transfer.packets.has(index)) {
          const payload = random.bytes(1 + random.below(1016));
          transfer.packets.set(index, payload);
          spool.segments.append(transfer.header.transferId, index, payload);
        }
      }
      if (random.chance(0.2)) spool.segments.flush();
      if (random.chance(0.003) || step === 5999) {
        // The process is killed here: what was written is all a new process finds.
        spool.segments.flush();
        const restarted = await start();
        restarts++;
        const recovered = new Map(restarted.recovery.inFlight.map((each) => [each.header.transferId, each]));
        assert.deepEqual([...recovered.keys()].sort(), [...model.keys()].sort(), `restart ${restarts}`);
        for (const [transferId, expected] of model) {
          const found = recovered.get(transferId)!;
          assert.deepEqual(found.packets, expected.packets, `packets of ${transferId}`);
          assert.equal(found.flowMode, expected.flowMode);
        }
        spool.closeAll();
        spool = restarted.spool;
        keepAll(spool, model.values());
      }
      await spool.deletionsDone();
      mostSegments = Math.max(mostSegments, (await segmentFiles()).length);
    }
    assert.ok(restarts >= 5, `${restarts} restarts`);
    // One more while transfers moved forward wait for their write. Without moving them, the two
    // cameras that never finish would hold every segment written since they started.
    assert.ok(
      mostSegments <= MAX_LIVE_SEGMENTS + MAX_FREE_SEGMENTS + 1,
      `at most ${mostSegments} segment files on disk`,
    );
  });

  it('says when a turn’s records could not be written (here the next segment is /dev/full)', async () => {
    const { spool } = await start({ completedRecordTtlMs: TTL_MS, segmentBytes: 4096 });
    const [first] = await segmentFiles();
    const next = first!.replace(/\d+/, (number) => String(Number(number) + 1).padStart(number.length, '0'));
    await symlink('/dev/full', join(directory, next));
    const header = headerOf(1, 10);
    spool.segments.begin(header, () => undefined);
    spool.segments.append(header.transferId, 0, Buffer.alloc(1016, 1));
    assert.equal(await spool.segments.whenWritten(), true);
    for (let index = 1; index < 6; index++)
      spool.segments.append(header.transferId, index, Buffer.alloc(1016, 1));
    assert.equal(
      await spool.segments.whenWritten(),
      false,
      'the records past the first segment went to /dev/full',
    );
  });

  it('moves a file it does not know to quarantine, and copies a damaged segment there, keeping what precedes the damage', async () => {
    const segment = await damagedSegment();
    await writeFile(join(directory, '0123456789ab.spool'), 'garbage');
    const { recovery } = await start();
    assert.deepEqual(
      recovery.inFlight.map((transfer) => [...transfer.packets.keys()]),
      [[0]],
    );
    assert.deepEqual(recovery.quarantined.map((entry) => entry.file.replace(/\.\d+$/, '')).sort(), [
      '0123456789ab.spool',
      segment,
    ]);
    assert.deepEqual(
      (await readdir(join(directory, 'quarantine'))).map((name) => name.replace(/\.\d+$/, '')).sort(),
      ['0123456789ab.spool', segment],
    );
  });

  it('copies a damaged segment to quarantine once: emptied at settle, it is not copied again at the next start', async () => {
    const segment = await damagedSegment();
    const header = headerOf(1, 3);
    const damaged = await start(LIMITS, NOW + 1000);
    assert.deepEqual(
      damaged.recovery.quarantined.map((entry) => entry.file),
      [`${segment}.${NOW + 1000}`],
    );
    keepAll(
      damaged.spool,
      damaged.recovery.inFlight.map((each) => ({ ...each, packets: new Map(each.packets) })),
    );
    // Emptied once what preceded the damage is written again.
    assert.equal((await stat(join(directory, segment))).size, 0);
    const next = await start(LIMITS, NOW + 2000);
    assert.deepEqual(next.recovery.quarantined, []);
    assert.deepEqual(await readdir(join(directory, 'quarantine')), [`${segment}.${NOW + 1000}`]);
    assert.deepEqual(
      next.recovery.inFlight.map((transfer) => [transfer.header.transferId, [...transfer.packets.keys()]]),
      [[header.transferId, [0]]],
    );
  });

  it('copies a completed log with a torn tail to quarantine and cuts it back to its last whole record, once', async () => {
    const { spool } = await start();
    for (const number of [1, 2])
      spool.completed.append(completionOf(headerOf(number, 1), `image-${number}`, NOW + number));
    spool.closeAll();
    const [log] = (await readdir(directory)).filter((name) => name.startsWith('completed-'));
    const bytes = await readFile(join(directory, log!));
    // The second append was cut short by a crash.
    await writeFile(join(directory, log!), bytes.subarray(0, bytes.length - 7));
    const torn = await start(LIMITS, NOW + 1000);
    assert.deepEqual(
      torn.recovery.completed.map((completion) => completion.imageId),
      ['image-1'],
    );
    assert.deepEqual(
      torn.recovery.quarantined.map((entry) => entry.file),
      [`${log}.${NOW + 1000}`],
    );
    // Appended after the cut, a record reads back: nothing torn is left before it.
    torn.spool.completed.append(completionOf(headerOf(3, 1), 'image-3', NOW + 1000));
    torn.spool.closeAll();
    const next = await start(LIMITS, NOW + 2000);
    assert.deepEqual(next.recovery.quarantined, []);
    assert.deepEqual(
      next.recovery.completed.map((completion) => completion.imageId),
      ['image-1', 'image-3'],
    );
    assert.deepEqual(await readdir(join(directory, 'quarantine')), [`${log}.${NOW + 1000}`]);
  });
});
