import type { DeviceFrame } from '#protocol';
import type { RemoteEndpoint } from '../../common/transfer-model.js';
import type { Reply, TransfersService } from '../transfers.service.js';

/**
 * Hands a decoded frame to the transfers service as the controller's patterns would; `null` for
 * a frame that is no transfer frame (ops 1 to 3).
 */
export function answerFrame(
  service: TransfersService,
  frame: DeviceFrame,
  remote: RemoteEndpoint,
  replyBudget: number,
): Reply | Promise<Reply> | null {
  switch (frame.kind) {
    case 'upload-request':
      return service.handleUploadRequest(frame, remote);
    case 'data':
      return service.handleDataPacket(frame, remote);
    case 'end-of-transfer':
      return service.handleEndOfTransfer(frame, remote, replyBudget);
    default:
      return null;
  }
}
