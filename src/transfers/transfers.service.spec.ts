import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  decodeServerFrame,
  ReplyStatus,
  type DataPacket,
  type ServerFrame,
  type UploadRequest,
} from '#protocol';
import { FakeClock } from '../common/fake-clock.js';
import { ImageStore } from '../storage/image-store.js';
import type { StoredImage } from '../storage/image-record.js';
import { TransferSpool } from '../spool/transfer-spool.js';
import { TransferEvents } from './transfer-events.js';
import { SWEEP_INTERVAL_MS, type TransferLimits } from './transfer-limits.js';
import { TransfersService } from './transfers.service.js';

const LIMITS: TransferLimits = {
  maxImageBytes: 512 * 1024,
  minPacketBytes: 16,
  maxPacketBytes: 1472,
  maxTransfers: 8,
  maxTransfersPerIp: 0,
  maxReassemblyBytes: 4 * 1024 * 1024,
  acceptedTimeoutMs: 15_000,
  receivingTimeoutMs: 60_000,
  completedRecordTtlMs: 120_000,
  missingPerReply: 28,
  flowProbeMs: 40,
  refusalsPerSecond: 5,
};

const CAMERA = { address: '10.1.2.3', port: 44444 };
const P = 1024;
const PAYLOAD = P - 8;

function imageOf(size: number, seed = 1): Buffer {
  const image = Buffer.alloc(size);
  for (let i = 0; i < size; i++) image[i] = (i * 31 + seed * 7) & 0xff;
  return image;
}

function request(image: Buffer, overrides: Partial<UploadRequest> = {}): UploadRequest {
  return {
    kind: 'upload-request',
    deviceId: 99,
    packetCount: Math.ceil(image.length / PAYLOAD),
    maxPacketSize: P,
    imageSize: undefined,
    ...overrides,
  };
}

function packet(image: Buffer, index: number, overrides: Partial<DataPacket> = {}): DataPacket {
  const payload = image.subarray(index * PAYLOAD, (index + 1) * PAYLOAD);
  return { kind: 'data', deviceId: 99, index, declaredLength: payload.length, payload, ...overrides };
}

/** Decodes a reply that must already be there (not a promise). */
function decoded(reply: Buffer | undefined | Promise<Buffer | undefined>): ServerFrame {
  assert.ok(Buffer.isBuffer(reply), 'expected a reply now');
  const result = decodeServerFrame(reply);
  assert.ok(result.ok, 'reply must decode');
  return result.frame;
}

/** The status of a data reply that has arrived. */
function decodedStatus(reply: Buffer | undefined): number {
  const frame = decoded(reply);
  assert.equal(frame.kind, 'data-reply');
  return frame.kind === 'data-reply' ? frame.status : -1;
}

describe('TransfersService', () => {
  let clock: FakeClock;
  let root: string;
  let images: ImageStore;
  let events: TransferEvents;
  let service: TransfersService;
  let stored: StoredImage[];

  function createService(limits: TransferLimits = LIMITS): TransfersService {
    const created = new TransfersService(limits, clock, images, events);
    created.onModuleInit();
    return created;
  }

  beforeEach(async () => {
    clock = new FakeClock();
    root = await mkdtemp(join(tmpdir(), 'transfers-'));
    images = new ImageStore(root, clock);
    events = new TransferEvents();
    stored = [];
    events.on('completed', (_transfer, image) => stored.push(image));
    service = createService();
  });

  afterEach(async () => {
    service.onModuleDestroy();
    await rm(root, { recursive: true, force: true });
  });

  /** Runs a whole stop-and-wait upload, advancing the clock past the flow probe on packet 0. */
  async function sendStopAndWait(image: Buffer): Promise<void> {
    assert.deepEqual(decoded(service.handleUploadRequest(request(image), CAMERA)), {
      kind: 'upload-reply',
      deviceId: 99,
      status: ReplyStatus.Ok,
      packetCount: Math.ceil(image.length / PAYLOAD),
      maxPacketSize: P,
    });
    const count = Math.ceil(image.length / PAYLOAD);
    for (let index = 0; index < count; index++) {
      const pending = service.handleDataPacket(packet(image, index), CAMERA);
      clock.advance(LIMITS.flowProbeMs);
      const reply = decoded(await pending);
      assert.equal(reply.kind, 'data-reply');
      assert.equal(reply.kind === 'data-reply' && reply.status, ReplyStatus.Ok);
    }
  }

  describe('upload requests', () => {
    it('accepts the deployed firmware request with the exact 9-byte reply', () => {
      const reply = service.handleUploadRequest(
        request(imageOf(370_260), { maxPacketSize: 1460, packetCount: 255 }),
        CAMERA,
      );
      assert.deepEqual([...(reply as Buffer)], [1, 99, 1, 0, 255, 0, 0, 5, 180]);
    });

    const refusals: [string, Partial<UploadRequest>, ReplyStatus][] = [
      ['zero packets', { packetCount: 0 }, ReplyStatus.BadParameters],
      ['a packet size with no room for payload', { maxPacketSize: 8 }, ReplyStatus.BadParameters],
      ['a packet size above the cap', { maxPacketSize: 1473 }, ReplyStatus.BadParameters],
      [
        'an image size N and P cannot carry',
        { packetCount: 2, imageSize: { value: 5000, width: 4 } },
        ReplyStatus.BadParameters,
      ],
      [
        'an image size below N-1 packets',
        { packetCount: 3, imageSize: { value: 2032, width: 4 } },
        ReplyStatus.BadParameters,
      ],
      [
        'an image above MAX_IMAGE_BYTES',
        { packetCount: 255, maxPacketSize: 65_507 },
        ReplyStatus.BadParameters,
      ],
      [
        'an image above MAX_IMAGE_BYTES within packet bounds',
        { packetCount: 255, maxPacketSize: 1472 },
        ReplyStatus.Ok,
      ],
    ];
    for (const [what, overrides, status] of refusals) {
      it(`answers ${ReplyStatus[status]} to ${what}`, () => {
        const frame = decoded(service.handleUploadRequest(request(imageOf(10)!, overrides), CAMERA));
        assert.equal(frame.kind === 'upload-reply' && frame.status, status);
      });
    }

    it('refuses an image larger than MAX_IMAGE_BYTES as too large', () => {
      const small = createService({ ...LIMITS, maxImageBytes: 100_000 });
      const frame = decoded(small.handleUploadRequest(request(imageOf(10), { packetCount: 200 }), CAMERA));
      assert.equal(frame.kind === 'upload-reply' && frame.status, ReplyStatus.TooLarge);
      small.onModuleDestroy();
    });

    it('answers a repeated request the same way and keeps the transfer', () => {
      const image = imageOf(3000);
      const first = service.handleUploadRequest(request(image), CAMERA);
      const again = service.handleUploadRequest(request(image), CAMERA);
      assert.deepEqual(again, first);
      assert.equal(service.activeTransfers, 1);
    });

    it('treats a different request from the same device address as a restart', () => {
      const aborted: string[] = [];
      events.on('aborted', (_t, reason) => aborted.push(reason));
      service.handleUploadRequest(request(imageOf(3000)), CAMERA);
      service.handleUploadRequest(request(imageOf(5000)), CAMERA);
      assert.deepEqual(aborted, ['device-restarted']);
      assert.equal(service.activeTransfers, 1);
    });

    it('keeps the transfer when a late duplicate of the request arrives after data', async () => {
      const image = imageOf(3 * PAYLOAD);
      service.handleUploadRequest(request(image), CAMERA);
      const first = service.handleDataPacket(packet(image, 0), CAMERA);
      clock.advance(LIMITS.flowProbeMs);
      await first;
      service.handleUploadRequest(request(image), CAMERA);
      await service.handleDataPacket(packet(image, 1), CAMERA);
      await service.handleDataPacket(packet(image, 2), CAMERA);
      assert.equal(stored.length, 1);
      assert.ok((await readFile(stored[0]!.imagePath)).equals(image));
    });

    it('restarts on the first packet unlike the one held after a repeated request, keeping the identical ones', async () => {
      const aborted: string[] = [];
      events.on('aborted', (_t, reason) => aborted.push(reason));
      const abandoned = imageOf(3 * PAYLOAD, 1);
      const image = Buffer.concat([abandoned.subarray(0, PAYLOAD), imageOf(2 * PAYLOAD, 2)]);
      service.handleUploadRequest(request(abandoned), CAMERA);
      const first = service.handleDataPacket(packet(abandoned, 0), CAMERA);
      clock.advance(LIMITS.flowProbeMs);
      await first;
      await service.handleDataPacket(packet(abandoned, 1), CAMERA);
      // The device restarts with a new image whose first packet happens to be identical.
      service.handleUploadRequest(request(image), CAMERA);
      for (let index = 0; index < 3; index++) {
        const reply = decoded(await service.handleDataPacket(packet(image, index), CAMERA));
        assert.equal(reply.kind === 'data-reply' && reply.status, ReplyStatus.Ok);
      }
      assert.deepEqual(aborted, ['device-restarted']);
      assert.equal(stored.length, 1);
      assert.ok((await readFile(stored[0]!.imagePath)).equals(image));
    });

    it('keeps devices with the same id apart by source address', () => {
      service.handleUploadRequest(request(imageOf(3000)), CAMERA);
      service.handleUploadRequest(request(imageOf(3000)), { ...CAMERA, address: '10.1.2.4' });
      assert.equal(service.activeTransfers, 2);
    });

    it('refuses with busy once MAX_TRANSFERS are in progress', () => {
      for (let port = 1; port <= LIMITS.maxTransfers; port++) {
        service.handleUploadRequest(request(imageOf(3000)), { ...CAMERA, port });
      }
      const frame = decoded(service.handleUploadRequest(request(imageOf(3000)), { ...CAMERA, port: 999 }));
      assert.equal(frame.kind === 'upload-reply' && frame.status, ReplyStatus.Busy);
    });

    it('answers at most twice REFUSALS_PER_SECOND refusals a second to one address', () => {
      const replies = Array.from({ length: 50 }, () =>
        service.handleUploadRequest(request(imageOf(10), { packetCount: 0 }), CAMERA),
      );
      assert.equal(replies.filter(Boolean).length, LIMITS.refusalsPerSecond * 2);
      clock.advance(1000);
      assert.ok(service.handleUploadRequest(request(imageOf(10), { packetCount: 0 }), CAMERA));
    });
  });

  describe('stop-and-wait devices (generation A)', () => {
    it('stores the image byte for byte before the final ACK', async () => {
      const image = imageOf(5000);
      await sendStopAndWait(image);
      assert.equal(stored.length, 1);
      const onDisk = await readFile(stored[0]!.imagePath);
      assert.ok(onDisk.equals(image));
      assert.equal(stored[0]!.record.sha256, createHash('sha256').update(image).digest('hex'));
      assert.equal(stored[0]!.record.flowMode, 'stop-and-wait');
    });

    it('ACKs a duplicate final packet again without storing twice', async () => {
      const image = imageOf(5000);
      await sendStopAndWait(image);
      const last = Math.ceil(image.length / PAYLOAD) - 1;
      const reply = decoded(service.handleDataPacket(packet(image, last), CAMERA) as Buffer);
      assert.deepEqual(reply, {
        kind: 'data-reply',
        deviceId: 99,
        index: last,
        status: 0,
        length: 5000 - last * PAYLOAD,
      });
      assert.equal(stored.length, 1);
    });

    it('ACKs every packet at once once the device is known to wait', async () => {
      await sendStopAndWait(imageOf(3000));
      const image = imageOf(3000, 2);
      service.handleUploadRequest(request(image), CAMERA);
      const reply = service.handleDataPacket(packet(image, 0), CAMERA);
      assert.ok(Buffer.isBuffer(reply), 'ACK of packet 0 is immediate for a known device');
    });

    it('ACKs a duplicate packet again and counts it, writing it once', async () => {
      const image = imageOf(3000);
      service.handleUploadRequest(request(image), CAMERA);
      const first = service.handleDataPacket(packet(image, 0), CAMERA);
      clock.advance(LIMITS.flowProbeMs);
      await first;
      const kinds: string[] = [];
      events.on('retransmission', (kind) => kinds.push(kind));
      const again = decoded(service.handleDataPacket(packet(image, 0), CAMERA) as Buffer);
      assert.equal(again.kind === 'data-reply' && again.status, ReplyStatus.Ok);
      assert.deepEqual(kinds, ['duplicate-packet']);
    });

    it('counts a duplicate index with other bytes as a conflict and keeps the first', async () => {
      const image = imageOf(3000);
      service.handleUploadRequest(request(image), CAMERA);
      const first = service.handleDataPacket(packet(image, 0), CAMERA);
      clock.advance(LIMITS.flowProbeMs);
      await first;
      const kinds: string[] = [];
      events.on('retransmission', (kind) => kinds.push(kind));
      service.handleDataPacket(packet(imageOf(3000, 9), 0), CAMERA);
      assert.deepEqual(kinds, ['conflicting-packet']);
    });

    const nacks: [string, (image: Buffer) => DataPacket, ReplyStatus][] = [
      ['an index not below N', (image) => packet(image, 3), ReplyStatus.BadIndex],
      [
        'a declared length unlike the bytes present',
        (image) => packet(image, 0, { declaredLength: 10 }),
        ReplyStatus.BadLength,
      ],
      [
        'a short packet that is not the last',
        (image) => packet(image, 0, { payload: image.subarray(0, 10), declaredLength: 10 }),
        ReplyStatus.BadLength,
      ],
    ];
    for (const [what, make, status] of nacks) {
      it(`NACKs ${what} with ${ReplyStatus[status]}`, () => {
        const image = imageOf(3000);
        service.handleUploadRequest(request(image), CAMERA);
        const frame = decoded(service.handleDataPacket(make(image), CAMERA) as Buffer);
        assert.equal(frame.kind === 'data-reply' && frame.status, status);
      });
    }

    it('NACKs a data packet for no transfer', () => {
      const frame = decoded(service.handleDataPacket(packet(imageOf(3000), 1), CAMERA) as Buffer);
      assert.equal(frame.kind === 'data-reply' && frame.status, ReplyStatus.NoSuchTransfer);
    });

    it('NACKs new data with busy when reassembly memory is full', async () => {
      const tight = createService({ ...LIMITS, maxReassemblyBytes: 2 * PAYLOAD });
      const image = imageOf(4 * PAYLOAD);
      tight.handleUploadRequest(request(image), CAMERA);
      const first = tight.handleDataPacket(packet(image, 0), CAMERA);
      clock.advance(LIMITS.flowProbeMs);
      await first;
      tight.handleDataPacket(packet(image, 1), CAMERA);
      const frame = decoded(tight.handleDataPacket(packet(image, 2), CAMERA) as Buffer);
      assert.equal(frame.kind === 'data-reply' && frame.status, ReplyStatus.Busy);
      tight.onModuleDestroy();
    });

    it('never acknowledges an image the disk refused, and stores it on the retry', async () => {
      const image = imageOf(2000);
      service.handleUploadRequest(request(image), CAMERA);
      const first = service.handleDataPacket(packet(image, 0), CAMERA);
      clock.advance(LIMITS.flowProbeMs);
      await first;
      await rm(root, { recursive: true });
      await writeFile(root, 'not a directory');
      const refused = decoded(await service.handleDataPacket(packet(image, 1), CAMERA));
      assert.equal(refused.kind === 'data-reply' && refused.status, ReplyStatus.StorageFailure);
      assert.equal(stored.length, 0);
      await rm(root);
      const retried = decoded(await service.handleDataPacket(packet(image, 1), CAMERA));
      assert.equal(retried.kind === 'data-reply' && retried.status, ReplyStatus.Ok);
      assert.ok((await readFile(stored[0]!.imagePath)).equals(image));
    });
  });

  describe('burst devices (generation B)', () => {
    it('sends no per-packet reply and lists what is missing at end of transfer', async () => {
      const image = imageOf(40 * PAYLOAD);
      service.handleUploadRequest(request(image), CAMERA);
      const replies = [];
      for (let index = 0; index < 40; index += 2)
        replies.push(service.handleDataPacket(packet(image, index), CAMERA));
      assert.deepEqual(await Promise.all(replies), Array(20).fill(undefined));
      const report = decoded(
        service.handleEndOfTransfer(
          { kind: 'end-of-transfer', deviceId: 99, packetCount: 40 },
          CAMERA,
        ) as Buffer,
      );
      assert.deepEqual(report, {
        kind: 'missing-report',
        deviceId: 99,
        missing: [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39],
      });
    });

    it('lists at most 28 missing indices a reply, the rest on the next round', () => {
      const image = imageOf(60 * PAYLOAD);
      service.handleUploadRequest(request(image), CAMERA);
      service.handleDataPacket(packet(image, 59), CAMERA);
      const report = decoded(
        service.handleEndOfTransfer(
          { kind: 'end-of-transfer', deviceId: 99, packetCount: 60 },
          CAMERA,
        ) as Buffer,
      );
      assert.deepEqual(
        report.kind === 'missing-report' && report.missing,
        Array.from({ length: 28 }, (_, i) => i),
      );
    });

    it('answers 0 missing only once the image is stored, and again to a late end of transfer', async () => {
      const image = imageOf(10 * PAYLOAD + 5);
      service.handleUploadRequest(request(image), CAMERA);
      for (let index = 0; index < 11; index++) service.handleDataPacket(packet(image, index), CAMERA);
      const end = { kind: 'end-of-transfer', deviceId: 99, packetCount: 11 } as const;
      const report = decoded(await service.handleEndOfTransfer(end, CAMERA));
      assert.deepEqual(report, { kind: 'missing-report', deviceId: 99, missing: [] });
      assert.equal(stored.length, 1);
      assert.ok((await readFile(stored[0]!.imagePath)).equals(image));
      assert.equal(stored[0]!.record.flowMode, 'burst');
      assert.deepEqual([...(service.handleEndOfTransfer(end, CAMERA) as Buffer)], [1, 99, 3, 0]);
      assert.equal(stored.length, 1);
    });

    it('completes a one-packet image when end of transfer follows within the probe window', async () => {
      const image = imageOf(500);
      service.handleUploadRequest(request(image), CAMERA);
      const ack = service.handleDataPacket(packet(image, 0), CAMERA);
      const report = decoded(
        await service.handleEndOfTransfer({ kind: 'end-of-transfer', deviceId: 99, packetCount: 1 }, CAMERA),
      );
      assert.equal(await ack, undefined, 'a burst device gets no per-packet ACK');
      assert.deepEqual(report.kind === 'missing-report' && report.missing, []);
    });
  });

  describe('expiry', () => {
    it('expires an accepted transfer with no data sooner than one in progress', async () => {
      const expired: number[] = [];
      events.on('expired', (transfer) => expired.push(transfer.remote.port));
      const image = imageOf(3000);
      service.handleUploadRequest(request(image), { ...CAMERA, port: 1 });
      service.handleUploadRequest(request(image), { ...CAMERA, port: 2 });
      const first = service.handleDataPacket(packet(image, 0), { ...CAMERA, port: 2 });
      clock.advance(LIMITS.flowProbeMs);
      await first;
      clock.advance(LIMITS.acceptedTimeoutMs + SWEEP_INTERVAL_MS);
      assert.deepEqual(expired, [1]);
      clock.advance(LIMITS.receivingTimeoutMs);
      assert.deepEqual(expired, [1, 2]);
      assert.equal(service.activeTransfers, 0);
      assert.equal(service.bufferedBytes, 0);
    });

    it('recognises the firmware bug of an image that is an exact multiple of P-8', async () => {
      const flagged: boolean[] = [];
      events.on('expired', (_transfer, exactMultiple) => flagged.push(exactMultiple));
      const image = imageOf(3 * PAYLOAD);
      service.handleUploadRequest(request(image, { packetCount: 4 }), CAMERA);
      for (let index = 0; index < 3; index++) {
        const reply = service.handleDataPacket(packet(image, index), CAMERA);
        clock.advance(LIMITS.flowProbeMs);
        await reply;
      }
      clock.advance(LIMITS.receivingTimeoutMs + SWEEP_INTERVAL_MS);
      assert.deepEqual(flagged, [true]);
    });
  });

  it('refuses new uploads with busy while draining, and lets transfers in progress finish', async () => {
    const image = imageOf(2000);
    service.handleUploadRequest(request(image), CAMERA);
    service.beginDrain();
    const refused = decoded(service.handleUploadRequest(request(image), { ...CAMERA, port: 7 }));
    assert.equal(refused.kind === 'upload-reply' && refused.status, ReplyStatus.Busy);
    const first = service.handleDataPacket(packet(image, 0), CAMERA);
    clock.advance(LIMITS.flowProbeMs);
    await first;
    await service.handleDataPacket(packet(image, 1), CAMERA);
    assert.equal(stored.length, 1);
    assert.deepEqual(
      await readdir(join(root, stored[0]!.imageId, '..')),
      [stored[0]!.record.file, stored[0]!.record.file.replace('.jpg', '.json')].sort(),
    );
  });
});

describe('TransfersService with a spool', () => {
  let clock: FakeClock;
  let root: string;
  let services: TransfersService[];

  async function start(): Promise<{ service: TransfersService; stored: StoredImage[]; restored: number[] }> {
    const images = new ImageStore(root, clock);
    const events = new TransferEvents();
    const stored: StoredImage[] = [];
    const restored: number[] = [];
    events.on('completed', (_t, image) => stored.push(image));
    events.on('restored', (transfer) => restored.push(transfer.receivedPackets));
    const service = new TransfersService(
      LIMITS,
      clock,
      images,
      events,
      new TransferSpool(join(root, '.spool'), LIMITS),
    );
    await service.onModuleInit();
    services.push(service);
    return { service, stored, restored };
  }

  beforeEach(async () => {
    clock = new FakeClock();
    root = await mkdtemp(join(tmpdir(), 'spool-'));
    services = [];
  });

  afterEach(async () => {
    for (const service of services) await service.onModuleDestroy();
    await rm(root, { recursive: true, force: true });
  });

  /** Uploads a 2-packet image as generation A does, each packet ACKed before the next. */
  async function uploadStopAndWait(service: TransfersService, image: Buffer): Promise<void> {
    await service.handleUploadRequest(request(image, { packetCount: 2 }), CAMERA);
    const ack0 = service.handleDataPacket(packet(image, 0), CAMERA);
    clock.advance(LIMITS.flowProbeMs);
    assert.ok(await ack0);
    assert.ok(await service.handleDataPacket(packet(image, 1), CAMERA));
  }

  it('resumes a stop-and-wait transfer after a restart: the resent packet is simply ACKed', async () => {
    const image = imageOf(4 * PAYLOAD + 10);
    const first = await start();
    await first.service.handleUploadRequest(request(image), CAMERA);
    const ack0 = first.service.handleDataPacket(packet(image, 0), CAMERA);
    clock.advance(LIMITS.flowProbeMs);
    assert.ok(await ack0);
    assert.ok(await first.service.handleDataPacket(packet(image, 1), CAMERA));
    // The process dies here (no drain); a new one starts on the same disk.
    const second = await start();
    assert.deepEqual(second.restored, [2]);
    const resent = decoded(await second.service.handleDataPacket(packet(image, 1), CAMERA));
    assert.equal(resent.kind === 'data-reply' && resent.status, ReplyStatus.Ok);
    for (let index = 2; index < 5; index++) {
      const reply = decoded(await second.service.handleDataPacket(packet(image, index), CAMERA));
      assert.equal(reply.kind === 'data-reply' && reply.status, ReplyStatus.Ok);
    }
    assert.equal(second.stored.length, 1);
    assert.ok((await readFile(second.stored[0]!.imagePath)).equals(image));
  });

  it('answers a late final packet after a restart that followed the final ACK, without storing again', async () => {
    const image = imageOf(2 * PAYLOAD);
    await uploadStopAndWait((await start()).service, image);
    const second = await start();
    const late = decoded(await second.service.handleDataPacket(packet(image, 1), CAMERA));
    assert.equal(late.kind === 'data-reply' && late.status, ReplyStatus.Ok);
    assert.equal(second.stored.length, 0);
    const days = await readdir(root);
    assert.deepEqual(days.filter((name) => !name.startsWith('.')).length, 1);
  });

  it('moves an unreadable spool file to quarantine instead of failing the start', async () => {
    const first = await start();
    await first.service.onModuleDestroy();
    await writeFile(join(root, '.spool', 'deadbeef0000.spool'), 'garbage');
    const quarantined: string[] = [];
    const images = new ImageStore(root, clock);
    const events = new TransferEvents();
    events.on('quarantined', (file) => quarantined.push(file));
    const service = new TransfersService(
      LIMITS,
      clock,
      images,
      events,
      new TransferSpool(join(root, '.spool'), LIMITS),
    );
    await service.onModuleInit();
    services.push(service);
    assert.deepEqual(quarantined, ['deadbeef0000.spool']);
    assert.deepEqual(await readdir(join(root, '.spool', 'quarantine')), ['deadbeef0000.spool']);
  });

  it('NACKs a packet the spool could not write (storage failure) instead of ACKing it, and keeps it missing', async () => {
    const events = new TransferEvents();
    const failures: string[] = [];
    events.on('storageFailed', (_transfer, error) => failures.push(error.message));
    const spool = new TransferSpool(join(root, '.spool'), { ...LIMITS, segmentBytes: 4096 });
    const service = new TransfersService(LIMITS, clock, new ImageStore(root, clock), events, spool);
    await service.onModuleInit();
    services.push(service);
    // The spool's next segment is /dev/full: records past its first 4 KB cannot be written.
    const [first] = (await readdir(join(root, '.spool'))).filter((name) => name.startsWith('segment-'));
    const next = first!.replace(/\d+/, (number) => String(Number(number) + 1).padStart(number.length, '0'));
    await symlink('/dev/full', join(root, '.spool', next));

    const image = imageOf(8 * PAYLOAD);
    await service.handleUploadRequest(request(image, { packetCount: 8 }), CAMERA);
    const ack0 = service.handleDataPacket(packet(image, 0), CAMERA);
    clock.advance(LIMITS.flowProbeMs);
    const statuses = [decodedStatus(await ack0)];
    for (let index = 1; index < 8; index++) {
      statuses.push(decodedStatus(await service.handleDataPacket(packet(image, index), CAMERA)));
    }
    // Header and three packets fit the first 4 KB segment; the rest went to /dev/full.
    assert.deepEqual(statuses.slice(0, 3), [ReplyStatus.Ok, ReplyStatus.Ok, ReplyStatus.Ok]);
    assert.ok(
      statuses.slice(3).every((status) => status === ReplyStatus.StorageFailure),
      statuses.join(', '),
    );
    assert.ok(failures.length >= 5);
    // Taken back: resent, packet 3 is new to the gateway again, and NACKed again while the disk is full.
    const again = decodedStatus(await service.handleDataPacket(packet(image, 3), CAMERA));
    assert.equal(again, ReplyStatus.StorageFailure);
  });

  it('forgets a stored transfer after COMPLETED_RECORD_TTL_MS, across a restart too', async () => {
    const image = imageOf(2 * PAYLOAD);
    await uploadStopAndWait((await start()).service, image);
    clock.advance(LIMITS.completedRecordTtlMs + 1);
    const second = await start();
    const late = decoded(await second.service.handleDataPacket(packet(image, 1), CAMERA));
    assert.equal(late.kind === 'data-reply' && late.status, ReplyStatus.NoSuchTransfer);
    assert.equal(second.stored.length, 0);
  });
});
