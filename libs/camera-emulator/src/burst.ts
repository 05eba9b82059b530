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
 * Reading of the `count++ > 5` counter: one counter for the whole end-of-transfer exchange,
 * never reset. With `giveUpCounter: 'timeouts'` (the default) it counts the waits that ended
 * without a missing list, so the device gives up at its 7th timeout, however many rounds the
 * missing lists took; with `'tries'` every end of transfer that did not end the exchange counts,
 * so it also gives up after 7 rounds of non-empty lists (the exact-multiple bug then ends there).
 */
export async function runBurst(session: UploadSession): Promise<void> {
  await requestUpload(session, true);
  const { plan, deviceId, timing } = session;
  await sendAll(
    session,
    Array.from({ length: plan.realPackets }, (_, index) => index),
    false,
  );
  const countsTries = session.setup.giveUpCounter === 'tries';
  for (let failures = 0; ;) {
    await session.sendEndOfTransfer();
    const list = await session.awaitReply(timing.endOfTransferTimeoutMs, (reply) =>
      readMissingList(reply.bytes, deviceId),
    );
    if (list === undefined) {
      session.timedOut('end-of-transfer');
      if (++failures >= BURST_GIVE_UP_AFTER) throw new UploadStopped('end-of-transfer-retries');
      await session.sleep(timing.endOfTransferRetryDelayMs);
      continue;
    }
    session.emit({ type: 'missing', indices: list.indices });
    if (list.count === 0) return;
    const phantom = (index: number): boolean => index < plan.packetCount && !isRealPacket(plan, index);
    await sendAll(
      session,
      list.indices.filter((index) => !phantom(index)),
      true,
    );
    if (countsTries && ++failures >= BURST_GIVE_UP_AFTER) throw new UploadStopped('end-of-transfer-retries');
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
