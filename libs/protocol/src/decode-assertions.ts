/** What the decoders' specs share: assertions on a decoded datagram and the datagrams they draw. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Decoded, RejectionReason } from './frames.js';

export const REASONS: readonly RejectionReason[] = [
  'too-short',
  'too-long',
  'unknown-client-type',
  'unknown-op',
  'field-out-of-range',
];

/** Asserts the datagram decoded to exactly `frame`. */
export function assertFrame<TFrame>(decoded: Decoded<TFrame>, frame: TFrame): void {
  assert.deepEqual(decoded, { ok: true, frame });
}

/** Asserts the datagram was rejected for `reason`, with a detail for the logs. */
export function assertRejected<TFrame>(decoded: Decoded<TFrame>, reason: RejectionReason): void {
  assert.equal(decoded.ok, false, `expected a rejection, got ${JSON.stringify(decoded)}`);
  if (decoded.ok) return;
  assert.equal(decoded.reason, reason, decoded.detail);
  assert.ok(decoded.detail.length > 0);
}

/** A `total`-byte datagram: `prefix`, then `fill` bytes. */
export function bytes(prefix: readonly number[], total: number, fill = 0): Buffer {
  return Buffer.concat([Buffer.from(prefix), Buffer.alloc(total - prefix.length, fill)]);
}

/** Short datagrams whose first bytes look like a real header, to reach every field check. */
export function plausibleDatagram(): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 5 }),
      fc.uint8Array({ maxLength: 40 }),
    )
    .map(([clientType, deviceId, op, rest]) => Buffer.from([clientType, deviceId, op, ...rest]));
}
