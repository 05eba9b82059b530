/** Kinds of repeated or late traffic, as counted by `cable_inspector_retransmissions_total{kind}`. */
export type RetransmissionKind =
  | 'duplicate-request'
  | 'duplicate-packet'
  | 'conflicting-packet'
  | 'late-duplicate'
  | 'end-of-transfer-round'
  /** A copy the network made of the device's previous datagram: not answered a second time. */
  | 'network-copy'
  /** A packet that cannot belong to the transfer (before its accept left; ahead of a stop-and-wait device). */
  | 'stale-packet'
  /** A late copy of the previous image's packet, replaced by the device's own. */
  | 'replaced-packet';

/**
 * What the transfer layer counts on the datagram path: plain increments, read by the metrics at
 * scrape time (no event, no allocation per datagram).
 */
export class TransferStatistics {
  readonly retransmissions: Record<RetransmissionKind, number> = {
    'duplicate-request': 0,
    'duplicate-packet': 0,
    'conflicting-packet': 0,
    'late-duplicate': 0,
    'end-of-transfer-round': 0,
    'network-copy': 0,
    'stale-packet': 0,
    'replaced-packet': 0,
  };
  /** Refusals and NACKs not sent, by reply status name (budget spent, or burst firmware reads none). */
  readonly suppressed = new Map<string, number>();

  suppress(status: string): void {
    this.suppressed.set(status, (this.suppressed.get(status) ?? 0) + 1);
  }
}
