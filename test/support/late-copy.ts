import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import {
  dataPacket,
  planPackets,
  syntheticJpeg,
  type CameraDevice,
  type Endpoint,
  type FirmwareProfile,
  type LinkScript,
  type UploadResult,
} from '#camera-emulator';
import type { DevicePool } from './devices.js';

/** Each way, for every datagram by default: the camera's exchanges take long enough for a copy to overtake them. */
const LINK_DELAY_MS = 20;

/** How a late copy of packet j of image k meets image k+1. */
export interface LateCopy {
  readonly firmware: FirmwareProfile;
  readonly deviceId: number;
  /** j: a full packet; for generation A, near the end of the image, so image k+1 reaches it late. */
  readonly lateIndex: number;
  /** When the copy reaches the gateway, counted from the camera's request for image k+1. */
  readonly copyAfterRequestMs: number;
  /** Generation B: how much later image k+1's accept reaches the camera (its burst follows it). */
  readonly slowAcceptMs?: number;
  /** The link's delay each way; 20 ms by default. */
  readonly linkDelayMs?: number;
}

/** What a camera sent and was told. */
export interface LateCopyRun {
  readonly device: CameraDevice;
  readonly images: readonly Buffer[];
  readonly results: readonly UploadResult[];
}

/**
 * A camera uploads images k and k+1 (the same N) over a link that adds 20 ms each way (by default), and
 * the network delivers a copy of packet j of image k once more, `copyAfterRequestMs` after the
 * camera asked to upload image k+1: a late duplicate that carries nothing to tell it from packet
 * j of image k+1. Before the change the gateway accepted image k+1 at once, so a copy 150 ms
 * after the request landed inside image k+1; the new core holds that accept 250 ms after its
 * last answer about image k.
 */
export async function uploadWithLateCopy(
  server: Endpoint,
  devices: DevicePool,
  {
    firmware,
    deviceId,
    lateIndex,
    copyAfterRequestMs,
    slowAcceptMs = 0,
    linkDelayMs = LINK_DELAY_MS,
  }: LateCopy,
): Promise<LateCopyRun> {
  const payloadSize = firmware.maxPacketSize - 8;
  const images = [
    syntheticJpeg(10 * payloadSize - 300, 2 * deviceId),
    syntheticJpeg(10 * payloadSize - 200, 2 * deviceId + 1),
  ];
  const plans = images.map((image) => planPackets(image.length, firmware.maxPacketSize, true));
  assert.equal(plans[0]!.packetCount, plans[1]!.packetCount, 'the same N: a packet of one fits the other');
  const copied = dataPacket(deviceId, images[0]!, plans[0]!, lateIndex);
  assert.ok(!copied.equals(dataPacket(deviceId, images[1]!, plans[1]!, lateIndex)), 'packet j differs');

  let requested!: () => void;
  const nextRequest = new Promise<void>((resolve) => (requested = resolve));
  let uploading = 0;
  const script: LinkScript = (datagram, direction, occurrence) => {
    if (direction === 'outgoing' && occurrence === 0 && datagram.equals(copied)) {
      return [linkDelayMs, nextRequest.then(() => delay(copyAfterRequestMs))];
    }
    const accept = direction === 'incoming' && datagram[2] === 1 && datagram[3] === 0;
    return accept && occurrence === 1 && slowAcceptMs > 0 ? [linkDelayMs + slowAcceptMs] : undefined;
  };
  const device = await devices.open({
    server,
    firmware,
    deviceId,
    link: { outgoing: { delayMs: linkDelayMs }, incoming: { delayMs: linkDelayMs }, script },
    observer: (event) => {
      if (event.type === 'request-sent' && uploading === 1) requested();
    },
  });
  const results: UploadResult[] = [];
  for (const image of images) {
    results.push(await device.upload(image, { deadlineMs: 20_000 }));
    uploading++;
  }
  assert.equal(device.linkCounters.outgoing.duplicated, 1, 'the late copy was sent');
  return { device, images, results };
}
