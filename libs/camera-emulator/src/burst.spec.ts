import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CameraDevice, type CameraDeviceOptions } from './camera-device.js';
import type { DeviceObserver, TimeoutPhase } from './device-events.js';
import { FIRMWARE } from './firmware.js';
import { syntheticJpeg } from './synthetic-jpeg.js';
import {
  acceptance,
  dataAnswer,
  FakeServer,
  type FakeHandler,
  type Received,
} from './testing/fake-server.js';
import { FIRMWARE_TIMING, scaleTiming } from './timing.js';

/** Generation B at 1/4 speed: 250 ms timeouts (room for a loaded machine), 25 ms pauses. */
const FAST = scaleTiming(FIRMWARE_TIMING.B, 0.25);

/** Timeouts that are meant to run out, kept short; the request still gets a generous wait. */
const IMPATIENT = { ...FAST, endOfTransferTimeoutMs: 60, endOfTransferRetryDelayMs: 5 };

/** Counts the timeouts of one phase. */
function timeoutsOf(phase: TimeoutPhase): { observer: DeviceObserver; count: () => number } {
  let count = 0;
  return {
    observer: (event) => {
      if (event.type === 'timeout' && event.phase === phase) count++;
    },
    count: () => count,
  };
}

const opened: { close(): Promise<void> }[] = [];
after(() => Promise.all(opened.map((each) => each.close())));

async function setUp(
  handler: FakeHandler,
  options: Partial<CameraDeviceOptions> = {},
): Promise<{ server: FakeServer; device: CameraDevice }> {
  const server = await FakeServer.open(handler);
  const device = await CameraDevice.open({
    server: server.endpoint,
    firmware: FIRMWARE.B,
    timing: FAST,
    ...options,
  });
  opened.push(server, device);
  return { server, device };
}

/**
 * A burst server that accepts every request and answers the end-of-transfer frames with the
 * given lists in turn (`[]` once they run out).
 */
function listing(...lists: number[][]): FakeHandler {
  return ({ frame, from }, fake) => {
    if (frame?.kind === 'upload-request')
      fake.reply(acceptance(99, frame.packetCount, frame.maxPacketSize), from);
    if (frame?.kind === 'end-of-transfer') {
      const missing = lists.shift() ?? [];
      fake.reply([1, 99, 3, missing.length, ...missing], from);
    }
  };
}

/** Kinds and indices of what the server received, in order: `r` request, `d3` data 3, `e` end of transfer. */
function trace(server: FakeServer): string[] {
  return server.received.map(({ frame }: Received) =>
    frame?.kind === 'upload-request'
      ? 'r'
      : frame?.kind === 'data'
        ? `d${frame.index}`
        : frame?.kind === 'end-of-transfer'
          ? 'e'
          : '?',
  );
}

describe('generation B (burst)', () => {
  it('sends every packet without waiting, then [1, id, 3, N], and is done on an empty list', async () => {
    const image = syntheticJpeg(5000);
    const { server, device } = await setUp(listing());
    const result = await device.upload(image);
    assert.equal(result.ok, true);
    assert.deepEqual(trace(server), ['r', 'd0', 'd1', 'd2', 'd3', 'e']);
    assert.deepEqual([...server.received[0].datagram], [1, 99, 1, 4, 0x00, 0x00, 0x05, 0xb4]);
    assert.deepEqual([...server.received[5].datagram], [1, 99, 3, 4]);
    assert.ok(server.reassemble().equals(image));
    assert.deepEqual(
      [result.requestTries, result.rounds, result.timeouts, result.retransmissions, result.violations.length],
      [1, 1, 0, 0, 0],
    );
  });

  it('resends exactly the indices listed, then asks again', async () => {
    const { server, device } = await setUp(listing([3, 7], [7]));
    const result = await device.upload(syntheticJpeg(12_000));
    assert.equal(result.ok, true);
    assert.deepEqual(trace(server).slice(10), ['e', 'd3', 'd7', 'e', 'd7', 'e']);
    assert.deepEqual([result.rounds, result.retransmissions], [3, 3]);
  });

  it('records every per-packet ACK as a violation (it would corrupt a real device)', async () => {
    const acking: FakeHandler = (received, fake) => {
      const { frame, from } = received;
      if (frame?.kind === 'data') fake.reply(dataAnswer(99, frame.index, 0, frame.declaredLength), from);
      else listing()(received, fake);
    };
    const { device } = await setUp(acking);
    const result = await device.upload(syntheticJpeg(3000));
    assert.equal(result.ok, true);
    assert.equal(result.violations.length, 3);
    assert.match(result.violations[0], /per-packet reply to burst firmware/);
  });

  it('records a listed index not below N, and sends P-8 bytes from past its image for it', async () => {
    const { server, device } = await setUp(listing([9]));
    const result = await device.upload(syntheticJpeg(3000));
    assert.equal(result.ok, true);
    assert.match(result.violations[0], /names 9, not below N = 3/);
    const beyond = server.frames('data').find((packet) => packet.index === 9);
    assert.equal(beyond?.payload.length, 1452);
  });

  it('gives up after its 7th unanswered request', async () => {
    const { server, device } = await setUp(() => undefined, {
      timing: { ...FAST, requestTimeoutMs: 20, requestRetryDelayMs: 5 },
    });
    const result = await device.upload(syntheticJpeg(3000));
    assert.equal(result.gaveUp, 'request-retries');
    assert.equal(result.requestTries, 7);
    assert.equal(server.received.length, 7);
  });

  it('gives up at its 7th end of transfer that did not end the exchange, lists and timeouts alike', async () => {
    let ends = 0;
    const timeouts = timeoutsOf('end-of-transfer');
    const { device } = await setUp(
      (received, fake) => {
        if (received.frame?.kind !== 'end-of-transfer' || ++ends === 1) listing([0])(received, fake);
      },
      { timing: IMPATIENT, observer: timeouts.observer },
    );
    const result = await device.upload(syntheticJpeg(3000));
    assert.equal(result.gaveUp, 'end-of-transfer-retries');
    assert.deepEqual([result.rounds, timeouts.count()], [7, 6]);
  });

  it('counts every round answered by a missing list towards its 7', async () => {
    const lists = Array.from({ length: 10 }, () => [1]);
    const { device } = await setUp(listing(...lists));
    const result = await device.upload(syntheticJpeg(3000));
    assert.equal(result.gaveUp, 'end-of-transfer-retries');
    assert.equal(result.rounds, 7);
  });

  it('never sends the phantom last packet of the exact-multiple bug', async () => {
    const lists = Array.from({ length: 10 }, () => [2]);
    const { server, device } = await setUp(listing(...lists));
    const result = await device.upload(syntheticJpeg(2 * 1452));
    assert.equal(server.frames('upload-request')[0].packetCount, 3);
    assert.deepEqual(server.packetIndices(), [0, 1]);
    assert.equal(result.gaveUp, 'end-of-transfer-retries');
  });

  it('reads the oldest buffered datagram first, even a stale missing list', async () => {
    const { server, device } = await setUp((received, fake) => {
      const { frame, from } = received;
      if (frame?.kind === 'upload-request') {
        fake.reply(acceptance(99, frame.packetCount, frame.maxPacketSize), from);
        fake.reply([1, 99, 3, 1, 2], from);
      } else if (frame?.kind === 'end-of-transfer') {
        fake.reply([1, 99, 3, 0], from);
      }
    });
    const result = await device.upload(syntheticJpeg(5000));
    assert.equal(result.ok, true);
    // The stale [2] is taken as the answer to the first end of transfer.
    assert.deepEqual(trace(server).slice(5), ['e', 'd2', 'e']);
  });

  it('drops what overflows its 8 KB chip buffer while it is not reading', async () => {
    // 20 ms timeouts, but a 400 ms pause before asking again: the flood lands in the pause.
    const timing = { ...FAST, requestTimeoutMs: 20, requestRetryDelayMs: 400 };
    // (The second request's wait is 20 ms too: the fake server accepts it at once.)
    let requests = 0;
    const analysis = Buffer.from([1, 99, 4, 0, 0, 1, 0x27, 0x10, ...Buffer.from('x'.repeat(24))]);
    const { device } = await setUp(
      (received, fake) => {
        const { frame, from } = received;
        if (frame?.kind === 'upload-request' && ++requests === 1) {
          // 250 frames of 32 bytes cost 40 bytes each in the chip: 204 fit in 8192.
          setTimeout(() => {
            for (let copy = 0; copy < 250; copy++) fake.reply(analysis, from);
          }, 40);
          return;
        }
        listing()(received, fake);
      },
      { timing },
    );
    const result = await device.upload(syntheticJpeg(3000));
    assert.equal(result.ok, true);
    assert.equal(result.bufferDrops, 46);
    assert.deepEqual(result.violations, []);
  });
});
