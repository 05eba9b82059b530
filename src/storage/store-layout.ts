import type { ImageArrival, ImageRecord } from './image-record.js';

/**
 * How the store names what it holds: `<yyyy-mm-dd>/<device id>_<address>/<hhmmssmmm>-<transfer id>`
 * with `.jpg` and `.json`, day and time those of the transfer's acceptance (UTC).
 */

/** Day folders: yyyy-mm-dd. */
export const DAY_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

/** Device folders: device id, then its address made safe. */
export const DEVICE_FOLDER = /^\d+_[0-9A-Za-z.-]+$/;

/** File names without .jpg or .json: time of acceptance, then transfer id. */
export const IMAGE_STEM = /^\d{9}-[0-9a-f]+$/;

/** An image id: day, device folder and file name without extension. */
const IMAGE_ID = /^\d{4}-\d{2}-\d{2}\/\d+_[0-9A-Za-z.-]+\/\d{9}-[0-9a-f]+$/;

/** Whether `text` is an image id as the store makes them (and so names nothing outside it). */
export function isImageId(text: string): boolean {
  return IMAGE_ID.test(text);
}

/** Keeps only characters that are safe in a file name on every platform. */
function safeName(text: string): string {
  return text.replace(/[^0-9A-Za-z.]/g, '-');
}

/** Where an image accepted at `acceptedAt` from a device goes: its day folder, device folder and file name. */
export function imageNameOf(
  acceptedAt: number,
  deviceId: number,
  address: string,
  transferId: string,
): { readonly day: string; readonly device: string; readonly stem: string } {
  const accepted = new Date(acceptedAt).toISOString();
  return {
    day: accepted.slice(0, 10),
    device: `${deviceId}_${safeName(address)}`,
    stem: `${accepted.slice(11, 23).replace(/[:.]/g, '')}-${transferId}`,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The sidecar of an image: what the transfer layer said of it, its size and digest, and when it was stored. */
export function sidecarRecordOf(
  arrival: ImageArrival,
  image: { readonly size: number; readonly sha256: string },
  storedAt: number,
): ImageRecord {
  const { acceptedAt, firstPacketAt, completedAt, transferId, ...described } = arrival;
  const { day, device, stem } = imageNameOf(acceptedAt, arrival.deviceId, arrival.source.address, transferId);
  return {
    imageId: `${day}/${device}/${stem}`,
    file: `${stem}.jpg`,
    ...described,
    size: image.size,
    sha256: image.sha256,
    timings: {
      acceptedAt: iso(acceptedAt),
      firstPacketAt: firstPacketAt === undefined ? null : iso(firstPacketAt),
      completedAt: iso(completedAt),
      storedAt: iso(storedAt),
      transferMs: completedAt - (firstPacketAt ?? acceptedAt),
    },
  };
}
