import type { AnalysisResult } from '#protocol';
import type { UploadResult } from './upload-result.js';

/** Which wait ran out. */
export type TimeoutPhase = 'request' | 'packet' | 'end-of-transfer';

/**
 * What a device does and sees, step by step, for observers (tests that act at a given moment, a
 * fleet simulator's progress display). Delivered synchronously; an observer must not throw.
 */
export type DeviceEvent =
  | { readonly type: 'request-sent'; readonly attempt: number }
  | { readonly type: 'accepted' }
  | { readonly type: 'packet-sent'; readonly index: number; readonly resend: boolean }
  | { readonly type: 'ack'; readonly index: number }
  | { readonly type: 'nack'; readonly index: number; readonly status: number }
  | { readonly type: 'timeout'; readonly phase: TimeoutPhase; readonly index?: number }
  | { readonly type: 'end-of-transfer-sent'; readonly round: number }
  | { readonly type: 'missing'; readonly indices: readonly number[] }
  | { readonly type: 'violation'; readonly message: string }
  | { readonly type: 'buffer-drop'; readonly bytes: number }
  | { readonly type: 'analysis'; readonly result: AnalysisResult }
  | { readonly type: 'finished'; readonly result: UploadResult };

export type DeviceObserver = (event: DeviceEvent) => void;
