import { BURST_GIVE_UP_AFTER } from './firmware.js';
import { isRealPacket } from './packet-plan.js';
import { readMissingList } from './reply-checks.js';
import { requestUpload } from './request-exchange.js';
import type { UploadSession } from './upload-session.js';
import { UploadStopped } from './upload-stopped.js';

/**
 * Generation B: request (giving up after 7 unanswered tries), every packet at once, then end of
 * transfer `[1, id, 3, N]` until the server answers `[1, id, 3, 0]`. A missing list is obeyed as
 * read: every index listed is sent again (one the image does not have sends bytes from past its
 * end; the phantom packet of the exact-multiple bug sends nothing), then end of transfer again.
 *
 * The firmware's `count++ > 5` counter runs over the whole end-of-transfer exchange and is never
 * reset: every end of transfer that did not end the exchange counts, answered by a missing list
 * or not answered at all, so the device gives up after its 7th (and with the exact-multiple bug,
 * there). Any reply of another op is read and skipped while the wait runs on, so a stale
 * `[1, id, 3, 0]` left in its buffer ends the exchange.
 */
export async function runBurst(session: UploadSession): Promise<void> {
  await requestUpload(session, true);
  const { plan, deviceId, timing } = session;
  await sendAll(
    session,
    Array.from({ length: plan.realPackets }, (_, index) => index),
    false,
  );
  for (let failures = 0; ;) {
    await session.sendEndOfTransfer();
    const list = await session.awaitReply(timing.endOfTransferTimeoutMs, (reply) =>
      readMissingList(reply.bytes, deviceId),
    );
    if (list?.count === 0) {
      session.emit({ type: 'missing', indices: list.indices });
      return;
    }
    if (++failures >= BURST_GIVE_UP_AFTER) {
      if (list === undefined) session.timedOut('end-of-transfer');
      else session.emit({ type: 'missing', indices: list.indices });
      throw new UploadStopped('end-of-transfer-retries');
    }
    if (list === undefined) {
      session.timedOut('end-of-transfer');
      await session.sleep(timing.endOfTransferRetryDelayMs);
      continue;
    }
    session.emit({ type: 'missing', indices: list.indices });
    const phantom = (index: number): boolean => index < plan.packetCount && !isRealPacket(plan, index);
    await sendAll(
      session,
      list.indices.filter((index) => !phantom(index)),
      true,
    );
  }
}

/**
 * Sends the packets back to back, as the firmware does: every send is handed to the system before
 * the first completes, so nothing else in this process runs between two packets of a burst.
 */
async function sendAll(session: UploadSession, indices: readonly number[], resend: boolean): Promise<void> {
  // Packets from `stopAfterPackets` on reject without being sent: the first rejection ends the burst.
  await Promise.all(indices.map((index) => session.sendPacket(index, resend)));
}
