/**
 * Judges every datagram a device receives against what the server owes the firmware: at most 32
 * bytes, a well-formed frame for this device, no per-packet reply to burst firmware, no missing
 * list naming a packet that does not exist. Each breach is a violation: it would confuse or
 * corrupt a real device, even when the emulator copes.
 */
import { decodeServerFrame, MAX_REPLY_BYTES } from '#protocol';
import { isStopAndWait, type Generation } from './firmware.js';

/** What the screen needs to know of the device and its upload in progress. */
export interface ScreenContext {
  readonly deviceId: number;
  readonly generation: Generation;
  /** N of the upload in progress, when there is one. */
  readonly packetCount: number | undefined;
}

/** The violations `datagram` commits; an empty list when the firmware can take it. */
export function screenReply(datagram: Buffer, context: ScreenContext): string[] {
  const hex = datagram.subarray(0, MAX_REPLY_BYTES).toString('hex');
  const shown = datagram.length > MAX_REPLY_BYTES ? `${hex}… (${datagram.length} bytes)` : hex;
  const violations: string[] = [];
  if (datagram.length > MAX_REPLY_BYTES) {
    violations.push(
      `reply of ${datagram.length} bytes exceeds the ${MAX_REPLY_BYTES}-byte reply buffer: ${shown}`,
    );
  }
  const decoded = decodeServerFrame(datagram.subarray(0, MAX_REPLY_BYTES));
  if (!decoded.ok) {
    violations.push(`malformed reply (${decoded.reason}: ${decoded.detail}): ${shown}`);
    return violations;
  }
  const frame = decoded.frame;
  if (frame.kind === 'ping-reply') {
    violations.push(`unsolicited ping reply: ${shown}`);
    return violations;
  }
  if (frame.deviceId !== context.deviceId) {
    // An analysis result is pushed, and repeated, to the address and port its device last used:
    // one for another id is meant for the previous holder of this address (a reflashed device, a
    // reused port), and the firmware ignores it. A reply to ops 1-3 for another id is the server's error.
    if (frame.kind !== 'analysis-result') {
      violations.push(`reply for device ${frame.deviceId}, not ${context.deviceId}: ${shown}`);
    }
    return violations;
  }
  const stopAndWait = isStopAndWait(context.generation);
  if (frame.kind === 'data-reply' && !stopAndWait) {
    violations.push(`per-packet reply to burst firmware (it expects none): ${shown}`);
  }
  if (frame.kind === 'missing-report') {
    if (stopAndWait) violations.push(`missing list sent to stop-and-wait firmware: ${shown}`);
    const count = context.packetCount;
    const beyond = count === undefined ? [] : frame.missing.filter((index) => index >= count);
    if (beyond.length > 0) {
      violations.push(`missing list names ${beyond.join(', ')}, not below N = ${count}: ${shown}`);
    }
  }
  return violations;
}
