import { loadavg } from 'node:os';
import { CameraDevice, FIRMWARE, type LinkScript, type UploadResult } from '#camera-emulator';
import type { DevicePool } from './devices.js';
import type { GatewayProcess } from './gateway-process.js';
import { isDataPacket, isEndOfTransfer } from './link-scripts.js';
import type { RawPeer } from './raw-peer.js';
import { restartGateway, type Outage } from './restarts.js';
import { StoppableClock } from './stoppable-clock.js';

/** How a generation-B upload across a kill went. */
export interface BurstAcrossKill {
  readonly device: CameraDevice;
  readonly result: UploadResult;
  /** The missing lists the camera was sent, in order. */
  readonly lists: readonly (readonly number[])[];
  readonly outage: Outage;
}

/** Where the camera sits and what the network does to its upload. */
export interface BurstAcrossKillOptions {
  readonly deviceId: number;
  /** An address of its own: the amplification budget is per address. */
  readonly bindAddress: string;
  /** How many of the burst's first packets reach the gateway before the kill. */
  readonly arrived: number;
  /** When the next process serves, counted from the camera's first end of transfer, for the camera. */
  readonly outageMs: number;
}

/**
 * A generation-B camera at firmware timing uploads `image` across a kill -9 of the gateway: the
 * first `arrived` packets of its burst reach the gateway, the rest and its first end of transfer
 * are lost in the outage. Once the gateway has read what arrived (a ping sent behind it is
 * answered), it is killed and started again; the camera lives through `outageMs` of the outage.
 */
export async function uploadBurstAcrossKill(
  gateway: GatewayProcess,
  devices: DevicePool,
  peer: RawPeer,
  image: Buffer,
  { deviceId, bindAddress, arrived, outageMs }: BurstAcrossKillOptions,
): Promise<BurstAcrossKill> {
  const clock = new StoppableClock();
  const lists: (readonly number[])[] = [];
  let restarted: Promise<Outage> | undefined;
  const lostInTheOutage: LinkScript = (datagram, direction, occurrence) => {
    if (occurrence > 0) return undefined;
    if (isEndOfTransfer(datagram, direction)) return [];
    return isDataPacket(datagram, direction) && datagram[3]! >= arrived ? [] : undefined;
  };
  const device = await devices.open({
    server: gateway.udp,
    firmware: FIRMWARE.B,
    deviceId,
    bindAddress,
    clock,
    link: { script: lostInTheOutage },
    observer: (event) => {
      if (event.type === 'missing') lists.push(event.indices);
      if (event.type === 'end-of-transfer-sent' && event.round === 1) {
        const from = performance.now();
        restarted = peer
          .ask([0, deviceId, 0], gateway.udp, 5000)
          .then(() => restartGateway(gateway, 'SIGKILL', { peer, camera: { clock, outageMs, from } }));
      }
    },
  });
  const result = await device.upload(image, { deadlineMs: 60_000 });
  if (!restarted) throw new Error('the camera never sent its end of transfer');
  return { device, result, lists, outage: await restarted };
}

/** One line for the test's output: the outage as measured, and the lists the camera was sent. */
export function describeBurstAcrossKill({ outage, lists }: BurstAcrossKill): string {
  return (
    `SIGKILL: the next process answered a ping ${Math.round(outage.servingMs)} ms after the kill ` +
    `(load average ${loadavg()[0]!.toFixed(1)}); missing lists of ${lists.map((list) => list.length).join(', ')}`
  );
}
