import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CameraOp } from '#protocol';
import type { CompletedTransfer } from '../common/transfer-model.js';
import { Answer, Device, DeviceTable } from './device.js';
import { CAMERA } from './testing/uploads.js';
import { Transfer } from './transfer.js';

const T0 = 5_000_000;
const WINDOW_MS = 500;

function deviceAt(now = T0): Device {
  return new Device(99, CAMERA.address, CAMERA.port, now);
}

function transferFor(device: Device): Transfer {
  const parameters = { packetCount: 2, maxPacketSize: 1024, imageSize: null };
  return new Transfer('a1b2c3d4e5f6', 1, device.deviceId, CAMERA, parameters, T0, 'probing');
}

function recordOf(flowMode: CompletedTransfer['flowMode']): CompletedTransfer {
  return {
    transferId: 'a1b2c3d4e5f6',
    clientType: 1,
    deviceId: 99,
    remote: CAMERA,
    packetCount: 2,
    maxPacketSize: 1024,
    imageSize: null,
    acceptedAt: T0,
    flowMode,
    imageId: '2026-01-01/99_10.1.2.3/000000000-a1b2c3d4e5f6',
    storedAt: T0 + 10,
    packetDigests: new Uint32Array(2),
    imageChecksum: 0,
  };
}

describe('Device.ask: one answer per question', () => {
  it('takes a first question for a question, and its copy within the window for a copy, with how it was answered', () => {
    const device = deviceAt();
    assert.equal(device.ask(CameraOp.DataPacket, 3, T0, WINDOW_MS), undefined);
    assert.equal(device.ask(CameraOp.DataPacket, 3, T0 + 10, WINDOW_MS), Answer.None, 'not answered yet');
    device.answered(Answer.Given);
    assert.equal(device.ask(CameraOp.DataPacket, 3, T0 + 20, WINDOW_MS), Answer.Given);
    assert.equal(device.lastHeardAt, T0 + 20);
  });

  const notCopies: [string, [CameraOp, number, number][]][] = [
    ['the same question once the window has passed', [[CameraOp.DataPacket, 3, T0 + WINDOW_MS]]],
    ['another index', [[CameraOp.DataPacket, 4, T0 + 10]]],
    ['another op with the same number', [[CameraOp.EndOfTransfer, 3, T0 + 10]]],
    [
      'the same question after another one in between',
      [
        [CameraOp.DataPacket, 4, T0 + 10],
        [CameraOp.DataPacket, 3, T0 + 20],
      ],
    ],
  ];
  for (const [what, questions] of notCopies) {
    it(`takes ${what} for a new question, not yet answered`, () => {
      const device = deviceAt();
      device.ask(CameraOp.DataPacket, 3, T0, WINDOW_MS);
      device.answered(Answer.Given);
      let asked: Answer | undefined = Answer.Given;
      for (const [op, index, at] of questions) asked = device.ask(op, index, at, WINDOW_MS);
      assert.equal(asked, undefined);
      assert.equal(
        device.ask(questions.at(-1)![0], questions.at(-1)![1], questions.at(-1)![2] + 1, WINDOW_MS),
        Answer.None,
      );
    });
  }

  it('counts the window from the question, not from its copies', () => {
    const device = deviceAt();
    device.ask(CameraOp.UploadRequest, 12, T0, WINDOW_MS);
    device.answered(Answer.Listed);
    assert.equal(device.ask(CameraOp.UploadRequest, 12, T0 + 300, WINDOW_MS), Answer.Listed);
    assert.equal(device.ask(CameraOp.UploadRequest, 12, T0 + 600, WINDOW_MS), undefined);
  });

  it('remembers its last stored image: the record answers, and its flow mode is the next hint', () => {
    const device = deviceAt();
    device.remember(recordOf('burst'));
    assert.equal(device.recordAnswers, true);
    assert.equal(device.flowHint, 'burst');
    device.remember(recordOf('probing'));
    assert.equal(device.flowHint, 'burst', 'a record that decided nothing changes no hint');
    assert.equal(device.previous?.flowMode, 'probing');
    assert.equal(device.lastConfirmationAt, Number.NEGATIVE_INFINITY);
    device.confirmed(T0 + 30);
    assert.equal(device.lastConfirmationAt, T0 + 30);
  });
});

describe('DeviceTable', () => {
  it('tells devices apart by address, port and id, and finds each again', () => {
    const table = new DeviceTable(100);
    const keys: [string, number, number][] = [
      ['10.1.2.3', 44444, 99],
      ['10.1.2.4', 44444, 99],
      ['10.1.2.3', 44445, 99],
      ['10.1.2.3', 44444, 98],
      ['10.1.2.3', 0, 255],
      ['10.1.2.3', 65535, 0],
    ];
    const added = keys.map(([address, port, id]) => table.getOrAdd(address, port, id, T0));
    assert.equal(new Set(added).size, keys.length);
    assert.equal(table.size, keys.length);
    keys.forEach(([address, port, id], at) => {
      assert.equal(table.get(address, port, id), added[at]);
      assert.equal(table.getOrAdd(address, port, id, T0 + 1), added[at]);
      assert.deepEqual([added[at]!.address, added[at]!.port, added[at]!.deviceId], [address, port, id]);
    });
    assert.equal(table.size, keys.length);
    assert.equal(table.get('10.1.2.5', 44444, 99), undefined);
    assert.equal([...table.all()].length, keys.length);
  });

  it('past its capacity forgets the devices heard from longest ago, an eighth at a time, never one with a transfer', () => {
    const table = new DeviceTable(16);
    const devices = Array.from({ length: 16 }, (_, n) => table.getOrAdd(`10.0.0.${n}`, 44444, 99, T0 + n));
    for (const busy of devices.slice(0, 3)) busy.active = transferFor(busy);
    // Heard from again: no longer among the idlest.
    devices[3]!.ask(CameraOp.DataPacket, 0, T0 + 100, WINDOW_MS);
    table.getOrAdd('10.0.1.0', 44444, 99, T0 + 200);
    assert.equal(table.size, 15);
    const gone = devices.filter(
      (device) => table.get(device.address, device.port, device.deviceId) !== device,
    );
    assert.deepEqual(
      gone.map((device) => device.address),
      ['10.0.0.4', '10.0.0.5'],
    );
    assert.ok(table.get('10.0.1.0', 44444, 99));
  });

  it('grows past its capacity rather than forget a device with a transfer in progress', () => {
    const table = new DeviceTable(8);
    const devices = Array.from({ length: 8 }, (_, n) => table.getOrAdd(`10.0.0.${n}`, 44444, 99, T0 + n));
    for (const device of devices) device.active = transferFor(device);
    table.getOrAdd('10.0.1.0', 44444, 99, T0 + 100);
    assert.equal(table.size, 9);
    for (const device of devices)
      assert.equal(table.get(device.address, device.port, device.deviceId), device);
  });

  it('forgets a device it evicted: the same camera comes back as a new device', () => {
    const table = new DeviceTable(8);
    const first = table.getOrAdd('10.0.0.1', 44444, 99, T0);
    first.flowHint = 'stop-and-wait';
    for (let n = 2; n <= 8; n++) table.getOrAdd(`10.0.0.${n}`, 44444, 99, T0 + n);
    table.getOrAdd('10.0.0.9', 44444, 99, T0 + 9);
    const again = table.getOrAdd('10.0.0.1', 44444, 99, T0 + 10);
    assert.notEqual(again, first);
    assert.equal(again.flowHint, undefined);
  });
});
