/** What every decoder answers: a frame, or a typed rejection saying why not (no decoder throws). */
import type { Decoded, Rejection, RejectionReason } from './frames.js';

/** A rejection when the datagram is not `min..max` bytes long, `undefined` when it is. */
export function checkLength(
  datagram: Buffer,
  frame: string,
  min: number,
  max: number,
): Rejection | undefined {
  if (datagram.length >= min && datagram.length <= max) return undefined;
  const reason = datagram.length < min ? 'too-short' : 'too-long';
  const expected = min === max ? `${min}` : `${min}..${max}`;
  return reject(reason, `${frame} is ${datagram.length} bytes, expected ${expected}`);
}

export function unknownOp(clientType: number, op: number): Rejection {
  return reject('unknown-op', `op ${op} is not defined for client type ${clientType} in this direction`);
}

export function accept<TFrame>(frame: TFrame): Decoded<TFrame> {
  return { ok: true, frame };
}

export function reject(reason: RejectionReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}
