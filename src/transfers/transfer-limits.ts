import type { Environment } from '../config/index.js';

/** The settings that bound and time transfers (see the README's configuration table). */
export interface TransferLimits {
  readonly maxImageBytes: number;
  readonly minPacketBytes: number;
  readonly maxPacketBytes: number;
  readonly maxTransfers: number;
  /** 0: no per-address limit. */
  readonly maxTransfersPerIp: number;
  readonly maxReassemblyBytes: number;
  readonly acceptedTimeoutMs: number;
  readonly receivingTimeoutMs: number;
  readonly completedRecordTtlMs: number;
  readonly missingPerReply: number;
  readonly flowProbeMs: number;
  readonly refusalsPerSecond: number;
}

/** How often the store looks for transfers to expire; a fraction of the shortest timeout. */
export const SWEEP_INTERVAL_MS = 250;

/** Devices whose flow mode (stop-and-wait or burst) is remembered between transfers. */
export const FLOW_MODE_MEMORY_SIZE = 65_536;

/** Source addresses whose refusal budget is tracked at once. */
export const REFUSAL_BUDGET_TRACKED_ADDRESSES = 16_384;

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
    completedRecordTtlMs: env.COMPLETED_RECORD_TTL_MS,
    missingPerReply: env.MISSING_PER_REPLY,
    flowProbeMs: env.FLOW_PROBE_MS,
    refusalsPerSecond: env.REFUSALS_PER_SECOND,
  });
}
