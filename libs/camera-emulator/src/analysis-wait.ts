import { CameraOp, decodeServerFrame, encodeDeviceFrame, type AnalysisResult } from '#protocol';
import { isAnalysisResult } from './reply-checks.js';
import type { AnalysisOutcome } from './upload-result.js';
import type { UploadSession } from './upload-session.js';
import { UploadStopped } from './upload-stopped.js';

/**
 * After a completed upload, waits up to `timeoutMs` for the op-4 analysis result
 * `[1, id, 4, status, verdict, class, confidence(2), label…]` and confirms it with `[1, id, 0, 4]`.
 * Other replies are read and ignored; so is an op-4 frame that does not decode (the screen has
 * recorded it). A stop during the wait (deadline, close) ends it without a result.
 */
export async function awaitAnalysis(session: UploadSession, timeoutMs: number): Promise<AnalysisOutcome> {
  const startedAt = session.setup.clock.now();
  let result: AnalysisResult | undefined;
  try {
    result = await session.awaitReply(timeoutMs, (reply) => {
      if (!isAnalysisResult(reply.bytes, session.deviceId)) return undefined;
      const decoded = decodeServerFrame(reply.bytes.subarray(0, reply.length));
      return decoded.ok && decoded.frame.kind === 'analysis-result' ? decoded.frame : undefined;
    });
    if (result) {
      await session.sendRaw(
        encodeDeviceFrame({
          kind: 'confirm',
          deviceId: session.deviceId,
          confirmedOp: CameraOp.AnalysisResult,
        }),
      );
    }
  } catch (error) {
    if (!(error instanceof UploadStopped)) throw error;
  }
  const elapsed = session.setup.clock.now() - startedAt;
  if (!result) return { received: false, waitedMs: elapsed };
  session.emit({ type: 'analysis', result });
  return { received: true, result, afterMs: elapsed };
}
