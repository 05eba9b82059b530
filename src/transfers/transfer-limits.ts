import type { Environment } from '../config/index.js';

/**
 * Every bound and timing of the transfer layer, in one frozen object: the settings (see the
 * README's configuration table) and the constants derived from the firmware's behaviour.
 */
export interface TransferLimits {
  readonly maxImageBytes: number;
  readonly minPacketBytes: number;
  readonly maxPacketBytes: number;
  readonly maxTransfers: number;
  /** 0: no per-address limit. */
  readonly maxTransfersPerIp: number;
  readonly maxReassemblyBytes: number;
  /** An accepted transfer without data goes dormant after this long. */
  readonly acceptedTimeoutMs: number;
  /** A transfer receiving nothing goes dormant after this long. */
  readonly receivingTimeoutMs: number;
  /** A dormant transfer is given up after this long. */
  readonly dormantTransferTtlMs: number;
  readonly completedRecordTtlMs: number;
  readonly missingPerReply: number;
  readonly flowProbeMs: number;
  readonly refusalsPerSecond: number;
  /** How long after the last positive answer about a device's image the accept of its next one waits. */
  readonly acceptHoldMs: number;
  /** A question repeated within this long, with nothing in between, is a network copy. */
  readonly duplicateWindowMs: number;
  /** How often the store looks at what time does to transfers; a fraction of the shortest timeout. */
  readonly sweepIntervalMs: number;
  /** Devices remembered at once (their flow mode, their last stored image). */
  readonly devicesTracked: number;
  /** Source addresses whose refusal budget is tracked at once. */
  readonly refusalBudgetAddresses: number;
}

export const TRANSFER_LIMITS = Symbol('TRANSFER_LIMITS');

export function transferLimitsFrom(env: Environment): TransferLimits {
  return Object.freeze({
    maxImageBytes: env.MAX_IMAGE_BYTES,
    minPacketBytes: env.MIN_PACKET_BYTES,
    maxPacketBytes: env.MAX_PACKET_BYTES,
    maxTransfers: env.MAX_TRANSFERS,
    maxTransfersPerIp: env.MAX_TRANSFERS_PER_IP,
    maxReassemblyBytes: env.MAX_REASSEMBLY_BYTES,
    acceptedTimeoutMs: env.ACCEPTED_TIMEOUT_MS,
    receivingTimeoutMs: env.RECEIVING_TIMEOUT_MS,
    dormantTransferTtlMs: env.DORMANT_TRANSFER_TTL_MS,
    completedRecordTtlMs: env.COMPLETED_RECORD_TTL_MS,
    missingPerReply: env.MISSING_PER_REPLY,
    flowProbeMs: env.FLOW_PROBE_MS,
    refusalsPerSecond: env.REFUSALS_PER_SECOND,
    acceptHoldMs: env.ACCEPT_HOLD_MS,
    duplicateWindowMs: env.DUPLICATE_WINDOW_MS,
    sweepIntervalMs: Math.min(1000, Math.ceil(env.ACCEPTED_TIMEOUT_MS / 4)),
    devicesTracked: 65_536,
    refusalBudgetAddresses: 16_384,
  });
}
