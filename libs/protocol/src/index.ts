/**
 * `libs/protocol`: the pure frame codec of the cable-camera wire protocol (docs: PROTOCOL.md).
 * Types, reason codes, limits, decoding, encoding and reply constructors; no I/O, no timers.
 */
export * from './codes.js';
export * from './limits.js';
export type * from './frames.js';
export { decodeDeviceFrame, decodeServerFrame } from './decode.js';
export { encodeDeviceFrame, encodeServerFrame } from './encode.js';
export { dataReply, missingReport, pingReply, restartTransfer, uploadReply } from './replies.js';
export { crc32 } from './checksum.js';
export { LABEL_REPLACEMENT, sanitizeLabel } from './label.js';
export { confidenceFromScore } from './confidence.js';
export { DEVICE_FRAME_PATTERNS, patternOf, type DeviceFramePattern } from './pattern.js';
