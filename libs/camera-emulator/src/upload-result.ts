import type { AnalysisResult } from '#protocol';
import type { Generation } from './firmware.js';

/**
 * Why an upload ended without the server's final word:
 * - `request-retries`: generation B's 7th upload request went unanswered;
 * - `end-of-transfer-retries`: generation B's end-of-transfer exchange hit its 7th failure;
 * - `exact-multiple-bug`: generation A waits for the ACK of a packet it never sent (image size an
 *   exact multiple of P-8) and stopped only at the deadline;
 * - `deadline`: the overall deadline passed (generation A would have gone on forever);
 * - `stopped`: the caller asked the device to stop after some packets (a restart, a power cut);
 * - `aborted`: the caller's signal aborted;
 * - `closed`: the device was closed during the upload.
 */
export type GiveUpReason =
  | 'request-retries'
  | 'end-of-transfer-retries'
  | 'exact-multiple-bug'
  | 'deadline'
  | 'stopped'
  | 'aborted'
  | 'closed';

/** What came of waiting for the op-4 analysis result after an upload. */
export type AnalysisOutcome =
  | {
      readonly received: true;
      readonly result: AnalysisResult;
      /** From the end of the upload to the result's arrival. */
      readonly afterMs: number;
    }
  | { readonly received: false; readonly waitedMs: number };

/** How one upload went, as the device saw it. */
export interface UploadResult {
  /** True when the server acknowledged the whole image (last ACK, or an empty missing list). */
  readonly ok: boolean;
  readonly generation: Generation;
  readonly deviceId: number;
  /** N as announced in the request. */
  readonly packets: number;
  /** Image size in bytes. */
  readonly bytes: number;
  readonly durationMs: number;
  /** Upload requests sent. */
  readonly requestTries: number;
  /** Data packets sent again (after a NACK or a timeout, or listed missing). */
  readonly retransmissions: number;
  /** Generation B: end-of-transfer frames sent; 0 for generation A. */
  readonly rounds: number;
  /** Waits that ended with no acceptable reply. */
  readonly timeouts: number;
  /** Generation A: replies to a data packet that were not an ACK. */
  readonly nacks: number;
  /** Datagrams the receive buffer dropped for want of room (generation B's 8 KB chip). */
  readonly bufferDrops: number;
  readonly gaveUp?: GiveUpReason;
  /** Everything the server sent that the firmware does not expect or cannot take (empty: clean). */
  readonly violations: readonly string[];
  readonly analysis?: AnalysisOutcome;
}
