import type { ReplyReadMode } from './firmware.js';
import { REPLY_BUFFER_BYTES } from './firmware.js';
import type { ReceiveBuffer } from './receive-buffer.js';

/** One read of the firmware's reply buffer. */
export interface ReplyRead {
  /** The 32-byte buffer as the firmware sees it: zeroed before the read, so a short reply is zero-padded. */
  readonly bytes: Buffer;
  /** How many bytes the read filled (at most 32). */
  readonly length: number;
}

/**
 * Reads replies the way the firmware does, 32 bytes at a time into a zeroed buffer: the WiFi build
 * takes what did not fit as the next reply (`split-32`), the Ethernet builds lose it
 * (`truncate-32`; the screen records the violation, which would corrupt a real device).
 */
export class ReplyReader {
  private readonly leftovers: Buffer[] = [];

  constructor(
    private readonly buffer: ReceiveBuffer,
    private readonly mode: ReplyReadMode,
  ) {}

  /** The next reply within `timeoutMs`, undefined when none came. Rejects with `UploadStopped` on abort. */
  async read(timeoutMs: number, signal: AbortSignal): Promise<ReplyRead | undefined> {
    const datagram = this.leftovers.shift() ?? (await this.buffer.read(timeoutMs, signal));
    if (datagram === undefined) return undefined;
    if (this.mode === 'split-32' && datagram.length > REPLY_BUFFER_BYTES) {
      this.leftovers.unshift(datagram.subarray(REPLY_BUFFER_BYTES));
    }
    const filled = datagram.subarray(0, REPLY_BUFFER_BYTES);
    const bytes = Buffer.alloc(REPLY_BUFFER_BYTES);
    filled.copy(bytes);
    return { bytes, length: filled.length };
  }
}
