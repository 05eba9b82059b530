/**
 * Worker thread for flow-probe.e2e-spec.ts: a generation B device that, between its packets 0 and
 * 1, has another socket send `floodCount` pings to the gateway, so that the gateway (on the main
 * thread) reads packet 0, then has a backlog to work through before packet 1. Running here, apart
 * from the gateway's event loop, the device keeps its own pace: the gap it leaves between packets
 * 0 and 1 is only the time the pings take to send.
 */
import { createSocket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { CameraDevice, FIRMWARE, syntheticJpeg, type Endpoint, type UploadResult } from '#camera-emulator';

export interface BacklogWorkerData {
  readonly server: Endpoint;
  readonly floodCount: number;
}

export interface BacklogWorkerReport {
  readonly result: UploadResult;
  /** A second upload from the same device, without the backlog. */
  readonly next: UploadResult;
  /** Milliseconds between handing packet 0 and packet 1 to the system, device side. */
  readonly gapMs: number;
}

const { server, floodCount } = workerData as BacklogWorkerData;
const flooder = createSocket('udp4');
await new Promise<void>((resolve) => flooder.bind(0, '127.0.0.1', resolve));
let packet0At = 0;
let gapMs = 0;
let flooding = true;
const device = await CameraDevice.open({
  server,
  firmware: FIRMWARE.B,
  deviceId: 77,
  observer: (event) => {
    if (event.type !== 'packet-sent' || event.resend) return;
    if (event.index === 0) packet0At = performance.now();
    if (event.index === 1 && flooding) {
      for (let ping = 0; ping < floodCount; ping++)
        flooder.send(Buffer.from([0, ping % 256, 0]), server.port, server.address);
      gapMs = performance.now() - packet0At;
    }
  },
});
const result = await device.upload(syntheticJpeg(30_001, 77), { deadlineMs: 20_000 });
flooding = false;
const next = await device.upload(syntheticJpeg(20_001, 78), { deadlineMs: 20_000 });
await device.close();
flooder.close();
parentPort!.postMessage({ result, next, gapMs } satisfies BacklogWorkerReport);
