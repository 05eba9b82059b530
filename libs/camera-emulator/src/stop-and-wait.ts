import { judgeDataReply } from './reply-checks.js';
import { isRealPacket } from './packet-plan.js';
import { requestUpload } from './request-exchange.js';
import type { UploadSession } from './upload-session.js';

/**
 * Generation A (and the seed variant): request until accepted, then each packet in turn, waiting
 * for its ACK. A reply `[1, id, 2, i]` with a non-zero status or another L is a NACK; a reply
 * without that prefix is ignored while the wait runs on. On NACK or timeout the device pauses and
 * resends the same packet, forever. With the exact-multiple bug it then waits for the ACK of a
 * packet it never sends, until stopped from outside.
 */
export async function runStopAndWait(session: UploadSession): Promise<void> {
  await requestUpload(session, false);
  const { plan } = session;
  for (let index = 0; index < plan.packetCount; index++) {
    if (!isRealPacket(plan, index)) await session.hang('exact-multiple-bug');
    await sendUntilAcknowledged(session, index);
  }
}

async function sendUntilAcknowledged(session: UploadSession, index: number): Promise<void> {
  const { deviceId, plan, timing } = session;
  const length = Math.min(plan.payloadSize, plan.imageSize - index * plan.payloadSize);
  await session.sendPacket(index, false);
  for (;;) {
    const reply = await session.awaitReply(timing.packetTimeoutMs, (read) =>
      judgeDataReply(read.bytes, deviceId, index, length) === 'unrelated' ? undefined : read,
    );
    if (reply && judgeDataReply(reply.bytes, deviceId, index, length) === 'ack') {
      session.emit({ type: 'ack', index });
      return;
    }
    if (reply) {
      session.counters.nacks++;
      session.emit({ type: 'nack', index, status: reply.bytes[4] });
    } else {
      session.timedOut('packet', index);
    }
    await session.sleep(timing.packetRetryDelayMs);
    await session.sendPacket(index, true);
  }
}
