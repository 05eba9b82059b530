/**
 * Range checks and big-endian integer helpers shared by the decoder and the encoder.
 * Internal to the codec: not re-exported from the package index.
 */

/** Largest value of a one-byte field (device id, op, N, i, k, status…). */
export const BYTE_MAX = 0xff;

/** Largest value of a four-byte field (P, L). */
export const UINT32_MAX = 0xffff_ffff;

/** Bits shifted per byte when assembling a big-endian integer. */
const BITS_PER_BYTE = 8;

/** Multiplier per byte when assembling a big-endian integer: 2^8. */
const BYTE_RADIX = 1 << BITS_PER_BYTE;

/** True when `value` is an integer in `0..max`. */
export function isUintInRange(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

/**
 * Throws a `RangeError` naming `field` unless `value` is an integer in `0..max`.
 * Encoders use it: an out-of-range field is a programmer error, never a wire condition.
 */
export function assertUint(field: string, value: number, max: number): void {
  if (!isUintInRange(value, max)) {
    throw new RangeError(`${field} must be an integer in 0..${max}, got ${String(value)}`);
  }
}

/**
 * Reads `width` bytes at `offset` as an unsigned big-endian integer (`width` may exceed the 6
 * bytes `Buffer.readUIntBE` handles). Returns `undefined` when the value is above
 * `Number.MAX_SAFE_INTEGER`. The caller has checked that the bytes are present.
 */
export function readSafeUintBE(datagram: Buffer, offset: number, width: number): number | undefined {
  let value = 0;
  for (let position = offset; position < offset + width; position++) {
    // Exact while the running value stays safe; once it is not, it is already at least 2^53
    // (rounding is monotonic), so the check below cannot miss an overflow.
    value = value * BYTE_RADIX + datagram[position];
    if (value > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return value;
}

/** Smallest number of bytes that holds `value` (a non-negative safe integer) big-endian; 1 for 0. */
export function byteWidthOf(value: number): number {
  let width = 1;
  for (let rest = Math.floor(value / BYTE_RADIX); rest > 0; rest = Math.floor(rest / BYTE_RADIX)) {
    width++;
  }
  return width;
}

/**
 * Writes `value` (a non-negative safe integer that fits) into `width` bytes at `offset`,
 * big-endian. The caller has checked that it fits.
 */
export function writeUintBE(target: Buffer, value: number, offset: number, width: number): void {
  let rest = value;
  for (let position = offset + width - 1; position >= offset; position--) {
    target[position] = rest % BYTE_RADIX;
    rest = Math.floor(rest / BYTE_RADIX);
  }
}

/** True when `value` is one of the numeric members of the TypeScript enum `enumObject`. */
export function isEnumMember<TEnum extends Record<string, string | number>>(
  enumObject: TEnum,
  value: number,
): value is Extract<TEnum[keyof TEnum], number> {
  return typeof (enumObject as Record<number, unknown>)[value] === 'string';
}
