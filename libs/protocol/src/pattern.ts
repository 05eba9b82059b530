/** How the transport routes decoded frames to handlers. */
import type { DeviceFrame, ServerFrame } from './frames.js';

/** The pattern a device frame is dispatched under: its `kind`. */
export type DeviceFramePattern = DeviceFrame['kind'];

/** One entry per device frame kind; the type makes the compiler flag a kind left out. */
const DEVICE_PATTERN_SET: Readonly<Record<DeviceFramePattern, true>> = {
  ping: true,
  confirm: true,
  'upload-request': true,
  data: true,
  'end-of-transfer': true,
};

/** Every pattern a device frame can be dispatched under, for handler registration and metrics. */
export const DEVICE_FRAME_PATTERNS: readonly DeviceFramePattern[] = Object.freeze(
  Object.keys(DEVICE_PATTERN_SET) as DeviceFramePattern[],
);

/** The pattern a frame is dispatched under (its `kind`), typed as narrowly as the frame. */
export function patternOf<TFrame extends DeviceFrame | ServerFrame>(frame: TFrame): TFrame['kind'] {
  return frame.kind;
}
