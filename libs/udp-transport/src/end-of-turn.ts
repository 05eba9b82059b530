/**
 * The end of one event-loop turn, the single moment at which everything the turn's datagrams
 * produced leaves the process, in a fixed order:
 *
 * 1. decisions deferred to the end of the turn ({@link defer}: e.g. a flow probe deciding once
 *    the datagrams already received have been handled);
 * 2. persistence ({@link onPersist}: e.g. the spool writing the turn's records in one write);
 * 3. release ({@link onRelease}: e.g. the transport sending the turn's replies together).
 *
 * So a reply never leaves before the records it depends on are written, whoever produced either,
 * and the order is stated here once instead of following from the order of several
 * `setImmediate` calls. A turn is opened by {@link touch} (a datagram received, a record added, a
 * reply held) and ends in the check phase of the same loop iteration, after every datagram the
 * socket had ready was handled.
 */
export class EndOfTurn {
  private scheduled = false;
  private deferred: (() => void)[] = [];
  private readonly persisters: (() => void)[] = [];
  private readonly releasers: (() => void)[] = [];
  private readonly end = (): void => this.finish();

  /** Whether a turn is open: what is held now leaves at its end. */
  get open(): boolean {
    return this.scheduled;
  }

  /** Opens a turn if none is open. */
  touch(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.end);
  }

  /** Runs `decision` once, at the end of this turn, before persistence and release. */
  defer(decision: () => void): void {
    this.deferred.push(decision);
    this.touch();
  }

  /** Runs `persist` at the end of every turn, before any reply leaves. */
  onPersist(persist: () => void): void {
    this.persisters.push(persist);
  }

  /** Runs `release` at the end of every turn, after persistence. */
  onRelease(release: () => void): void {
    this.releasers.push(release);
  }

  /** Ends the open turn now (what was held leaves); nothing when none is open. */
  flush(): void {
    if (this.scheduled) this.finish();
  }

  private finish(): void {
    if (!this.scheduled) return;
    // A decision may add records or replies: they belong to this turn's write and release.
    while (this.deferred.length > 0) {
      const decisions = this.deferred;
      this.deferred = [];
      for (const decision of decisions) decision();
    }
    this.scheduled = false;
    for (const persist of this.persisters) persist();
    for (const release of this.releasers) release();
  }
}
