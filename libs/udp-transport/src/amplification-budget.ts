/** Bytes received from and sent to one address, in the current and the previous window. */
interface PeerLedger {
  window: number;
  /** Credited since the eviction scan last passed it (a second chance, instead of reordering the map on every credit). */
  credited: boolean;
  receivedNow: number;
  receivedBefore: number;
  sentNow: number;
  sentBefore: number;
}

/** Settings of an {@link AmplificationBudget}. */
export interface AmplificationBudgetSettings {
  /** Bytes that may be sent to an address for every byte received from it. */
  readonly factor: number;
  /** Length of an accounting window, in milliseconds. */
  readonly windowMs: number;
  /** Most addresses remembered at once. */
  readonly maxPeers: number;
  /** Monotonic clock in milliseconds. */
  readonly clock: () => number;
}

/**
 * Anti-reflection accounting: a server answering UDP must not let a forged source address turn it
 * into an amplifier aimed at a victim. Per remote address, the bytes sent in the current and the
 * previous window may not exceed `factor` × the bytes received from it in those same two windows.
 *
 * Time is cut into fixed windows of `windowMs`. When an address is next touched, its counts move
 * one window back (or are cleared when more than one window has passed), so received bytes pay for
 * sends for between one and two windows. Because every send is checked against the same two
 * windows it is charged to, the total ever sent to an address stays within `factor` × the total
 * ever received from it.
 *
 * Memory is bounded: at most `maxPeers` addresses; when full, the oldest address not credited
 * since the eviction scan last passed it is forgotten (which only ever withdraws credit): a
 * second-chance scan, so that crediting an address (once per datagram) never reorders the map.
 * No timers: windows are rolled lazily, on access.
 */
export class AmplificationBudget {
  private readonly peers = new Map<string, PeerLedger>();

  constructor(private readonly settings: AmplificationBudgetSettings) {}

  /** Number of addresses currently remembered. */
  get size(): number {
    return this.peers.size;
  }

  /** Records `bytes` received from `address`. */
  credit(address: string, bytes: number): void {
    const window = this.currentWindow();
    let ledger = this.peers.get(address);
    if (ledger === undefined) {
      ledger = this.admit(window);
      this.peers.set(address, ledger);
    } else {
      roll(ledger, window);
      ledger.credited = true;
    }
    ledger.receivedNow += bytes;
  }

  /**
   * Charges `bytes` about to be sent to `address` and returns true, or returns false and charges
   * nothing when that would exceed the address's budget.
   */
  tryDebit(address: string, bytes: number): boolean {
    const ledger = this.peers.get(address);
    if (ledger === undefined) return false;
    roll(ledger, this.currentWindow());
    const received = ledger.receivedNow + ledger.receivedBefore;
    const sent = ledger.sentNow + ledger.sentBefore;
    if (sent + bytes > this.settings.factor * received) return false;
    ledger.sentNow += bytes;
    return true;
  }

  /** Bytes that may still be sent to `address` now (0 for an unknown address). */
  remaining(address: string): number {
    const ledger = this.peers.get(address);
    if (ledger === undefined) return 0;
    roll(ledger, this.currentWindow());
    const received = ledger.receivedNow + ledger.receivedBefore;
    const sent = ledger.sentNow + ledger.sentBefore;
    return Math.max(0, Math.floor(this.settings.factor * received - sent));
  }

  /** Forgets every address. */
  clear(): void {
    this.peers.clear();
  }

  private currentWindow(): number {
    return Math.floor(this.settings.clock() / this.settings.windowMs);
  }

  /** A zeroed ledger for a new address, recycling an evicted one when full. */
  private admit(window: number): PeerLedger {
    if (this.peers.size < this.settings.maxPeers) {
      return { window, credited: false, receivedNow: 0, receivedBefore: 0, sentNow: 0, sentBefore: 0 };
    }
    const evicted = this.evictOne();
    evicted.window = window;
    evicted.credited = false;
    evicted.receivedNow = evicted.receivedBefore = evicted.sentNow = evicted.sentBefore = 0;
    return evicted;
  }

  /**
   * Forgets the oldest address not credited since the scan last passed it; the ones credited are
   * moved to the end, their mark cleared (each is moved at most once a pass: the scan ends).
   */
  private evictOne(): PeerLedger {
    for (;;) {
      const [address, ledger] = this.peers.entries().next().value as [string, PeerLedger];
      this.peers.delete(address);
      if (!ledger.credited) return ledger;
      ledger.credited = false;
      this.peers.set(address, ledger);
    }
  }
}

/** Moves `ledger`'s counts to `window`: one window on shifts them back, more clears them. */
function roll(ledger: PeerLedger, window: number): void {
  const elapsed = window - ledger.window;
  if (elapsed === 0) return;
  if (elapsed === 1) {
    ledger.receivedBefore = ledger.receivedNow;
    ledger.sentBefore = ledger.sentNow;
  } else {
    ledger.receivedBefore = 0;
    ledger.sentBefore = 0;
  }
  ledger.receivedNow = 0;
  ledger.sentNow = 0;
  ledger.window = window;
}
