import { CameraDevice, type CameraDeviceOptions, type UploadResult } from '#camera-emulator';
import type { SentImage } from './stored-images.js';

/** Opens devices for a test and closes them all at the end. */
export class DevicePool {
  private readonly devices: CameraDevice[] = [];

  async open(options: CameraDeviceOptions): Promise<CameraDevice> {
    const device = await CameraDevice.open(options);
    this.devices.push(device);
    return device;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.devices.splice(0).map((device) => device.close()));
  }
}

/** What `sent` needs to find an image a device uploaded. */
export function sentBy(device: CameraDevice, image: Buffer): SentImage {
  return { image, deviceId: device.deviceId, source: device.local };
}

/** A one-line summary of a result, for assertion messages and logs. */
export function describeResult(result: UploadResult): string {
  const { generation, ok, gaveUp, packets, requestTries, retransmissions, rounds, timeouts, nacks } = result;
  const outcome = ok ? 'ok' : `gave up (${gaveUp})`;
  const violations = result.violations.length === 0 ? '' : `; violations: ${result.violations.join(' | ')}`;
  return (
    `${generation} ${outcome}: ${packets} packets, ${requestTries} requests, ${retransmissions} resent, ` +
    `${rounds} rounds, ${timeouts} timeouts, ${nacks} nacks, ${Math.round(result.durationMs)} ms${violations}`
  );
}
