import type { GiveUpReason } from './upload-result.js';

/**
 * Thrown inside an upload to end it early: the firmware gave up, the overall deadline passed,
 * the caller aborted, or the device was closed. Caught by the device, which turns it into the
 * result's `gaveUp`; never escapes the library.
 */
export class UploadStopped extends Error {
  constructor(readonly reason: GiveUpReason) {
    super(`upload stopped: ${reason}`);
    this.name = 'UploadStopped';
  }

  /** The stop an aborted signal carries (its reason when it is one, `aborted` otherwise). */
  static from(signal: AbortSignal): UploadStopped {
    const reason: unknown = signal.reason;
    return reason instanceof UploadStopped ? reason : new UploadStopped('aborted');
  }
}
