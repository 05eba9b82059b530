import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LoggerService } from '@nestjs/common';
import type { AnalysisResult } from '#protocol';
import { UdpServer, type DatagramDecoder } from '#udp-transport';
import { FakeClock } from '../common/fake-clock.js';
import type { RemoteEndpoint } from '../common/transfer-model.js';
import { validateEnvironment } from '../config/index.js';
import { ClassificationEvents } from './classification-events.js';
import { ResultPusher } from './result-pusher.js';

const DEFECT: AnalysisResult = {
  kind: 'analysis-result',
  deviceId: 99,
  status: 0,
  verdict: 1,
  classIndex: 2,
  confidence: 9876,
  label: 'frayed',
};
/** `[1, id, 4, status, verdict, class, confidence(2), label…]` */
const DEFECT_BYTES = [1, 99, 4, 0, 1, 2, 0x26, 0x94, ...Buffer.from('frayed')];
const PASS: AnalysisResult = { ...DEFECT, verdict: 0, classIndex: 0, confidence: 9000, label: 'good' };
const PASS_BYTES = [1, 99, 4, 0, 0, 0, 0x23, 0x28, ...Buffer.from('good')];

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The gateway only pushes here: it decodes nothing. */
const PUSH_ONLY: DatagramDecoder = { decode: () => ({ ok: false, reason: 'push-only' }) };

const QUIET: LoggerService = { log: () => undefined, error: () => undefined, warn: () => undefined };

/** A camera's socket on loopback, collecting what it is pushed. */
class Camera {
  readonly received: number[][] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (datagram) => this.received.push([...datagram]));
  }

  static async open(): Promise<Camera> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new Camera(socket);
  }

  get remote(): RemoteEndpoint {
    return { address: '127.0.0.1', port: this.socket.address().port };
  }

  /** What arrived, once `count` datagrams have (waiting in real time, at most two seconds). */
  async next(count: number): Promise<number[][]> {
    for (let wait = 0; wait < 400 && this.received.length < count; wait++) await delay(5);
    assert.equal(this.received.length, count);
    return this.received;
  }

  /** What arrived, after a moment in which more could have. */
  async quiet(): Promise<number[][]> {
    await delay(50);
    return this.received;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

describe('ResultPusher (real UDP on 127.0.0.1)', () => {
  let clock: FakeClock;
  let udp: UdpServer;
  let events: ClassificationEvents;
  let pusher: ResultPusher;
  let camera: Camera;
  let confirmations: number[];

  beforeEach(async () => {
    clock = new FakeClock();
    udp = new UdpServer({ host: '127.0.0.1', port: 0, decoder: PUSH_ONLY, logger: QUIET });
    await new Promise((resolve) => udp.listen(resolve));
    // What the camera's upload earned: pushes to it fit the anti-amplification budget.
    udp.creditPeer('127.0.0.1', 10_000);
    events = new ClassificationEvents();
    confirmations = [];
    events.on('confirmed', (attempts) => confirmations.push(attempts));
    const env = validateEnvironment({ RESULT_RETRY_MS: 500, RESULT_MAX_ATTEMPTS: 3 });
    pusher = new ResultPusher(udp, env, clock, events);
    camera = await Camera.open();
  });

  afterEach(async () => {
    pusher.onModuleDestroy();
    await udp.close();
    await camera.close();
  });

  it('pushes the op-4 frame to the device, byte for byte', async () => {
    pusher.push(1, DEFECT, camera.remote);
    assert.deepEqual(await camera.next(1), [DEFECT_BYTES]);
    assert.equal(pusher.pendingCount, 1);
  });

  it('sends it again with the interval doubling, RESULT_MAX_ATTEMPTS times in all, then gives up', async () => {
    pusher.push(1, DEFECT, camera.remote);
    await camera.next(1);
    const intervals: [number, number][] = [
      [500, 2],
      [1000, 3],
    ];
    for (const [interval, sends] of intervals) {
      clock.advance(interval - 1);
      assert.equal((await camera.quiet()).length, sends - 1, `not before ${interval} ms`);
      clock.advance(1);
      await camera.next(sends);
    }
    assert.ok(camera.received.every((frame) => frame.join() === DEFECT_BYTES.join()));
    clock.advance(1999);
    assert.equal(pusher.pendingCount, 1, 'its last send has the doubled interval to be confirmed');
    clock.advance(1);
    assert.equal(pusher.pendingCount, 0);
    clock.advance(60_000);
    assert.equal((await camera.quiet()).length, 3);
  });

  it('stops once the device confirms, and tells after how many sends', async () => {
    pusher.push(1, DEFECT, camera.remote);
    clock.advance(500);
    await camera.next(2);
    assert.equal(pusher.confirm(1, 99, camera.remote), true);
    assert.deepEqual(confirmations, [2]);
    assert.equal(pusher.pendingCount, 0);
    clock.advance(10_000);
    assert.equal((await camera.quiet()).length, 2);
    assert.equal(pusher.confirm(1, 99, camera.remote), false, 'nothing pending any more');
  });

  it('replaces a device’s pending result with its newer one: a confirmation names no image', async () => {
    pusher.push(1, DEFECT, camera.remote);
    pusher.push(1, PASS, camera.remote);
    assert.equal(pusher.pendingCount, 1);
    clock.advance(500);
    assert.deepEqual(await camera.next(3), [DEFECT_BYTES, PASS_BYTES, PASS_BYTES]);
  });

  it('keeps one pending result per device: the same id at another port is another device', async () => {
    const other = await Camera.open();
    try {
      pusher.push(1, DEFECT, camera.remote);
      pusher.push(1, PASS, other.remote);
      assert.equal(pusher.pendingCount, 2);
      assert.equal(pusher.confirm(1, 99, camera.remote), true);
      assert.equal(pusher.confirm(1, 98, other.remote), false, 'another id at that address');
      clock.advance(500);
      assert.deepEqual(await other.next(2), [PASS_BYTES, PASS_BYTES]);
      assert.deepEqual(await camera.quiet(), [DEFECT_BYTES]);
    } finally {
      await other.close();
    }
  });

  it('cancels every repeat when the module stops', async () => {
    pusher.push(1, DEFECT, camera.remote);
    pusher.onModuleDestroy();
    assert.equal(pusher.pendingCount, 0);
    assert.equal(clock.pendingTimers, 0);
    clock.advance(10_000);
    assert.deepEqual(await camera.quiet(), [DEFECT_BYTES]);
  });
});
