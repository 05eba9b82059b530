import type { FlowMode, TransferParameters } from './transfer.js';

/**
 * What is remembered of a stored transfer (no payload), to answer late duplicates, a lost final
 * ACK or a repeated end of transfer, the same way and without storing twice.
 */
export interface CompletedTransfer {
  readonly key: string;
  readonly transferId: string;
  readonly parameters: TransferParameters;
  readonly flowMode: FlowMode;
  readonly imageId: string;
  readonly forgetAt: number;
}
