import { BURST_GIVE_UP_AFTER } from './firmware.js';
import { isUploadAccepted } from './reply-checks.js';
import type { UploadSession } from './upload-session.js';
import { UploadStopped } from './upload-stopped.js';

/**
 * Sends the upload request until a reply passes the firmware's check (`isUploadAccepted`):
 * anything else, a refusal included, is read and ignored while the wait runs out. After each
 * unanswered try the device pauses, then sends the request again:
 * - generation A (and the seed variant) forever (`giveUp` false);
 * - generation B gives up after its 7th unanswered try (`count++ > 5`, checked after each).
 */
export async function requestUpload(session: UploadSession, giveUp: boolean): Promise<void> {
  const { plan, timing, deviceId } = session;
  for (let unanswered = 0; ;) {
    await session.sendRequest();
    const accepted = await session.awaitReply(timing.requestTimeoutMs, (reply) =>
      isUploadAccepted(reply.bytes, deviceId, plan.packetCount, plan.maxPacketSize) ? true : undefined,
    );
    if (accepted) {
      session.emit({ type: 'accepted' });
      return;
    }
    session.timedOut('request');
    // `count++ > 5` gives up when the 7th unanswered try is counted.
    if (giveUp && ++unanswered >= BURST_GIVE_UP_AFTER) throw new UploadStopped('request-retries');
    await session.sleep(timing.requestRetryDelayMs);
  }
}
