import { Injectable } from '@nestjs/common';

/** One event of the live stream, encoded once for every client. */
export interface LiveEvent {
  readonly id: string;
  readonly type: string;
  /** The Server-Sent Events frame: `id`, `event` and `data` lines. */
  readonly frame: string;
}

export type LiveListener = (event: LiveEvent) => void;

/** Events kept for clients that reconnect with `Last-Event-ID`. */
const REPLAY_EVENTS = 512;

/** What a client that (re)connects gets besides the events to come. */
export interface LiveSubscription {
  /** Events after the one it saw last, still kept. */
  readonly missed: readonly LiveEvent[];
  /** False when some it missed are no longer kept (or came from an earlier process): reload. */
  readonly complete: boolean;
  unsubscribe(): void;
}

/**
 * The gateway's live stream (`GET /api/events`): any part of the gateway publishes a typed event
 * (`image.stored`, `image.analysed`, `device.seen`, and whatever later features add); each is
 * encoded once and handed to every connected client. The newest ones are kept so that a client
 * that lost its connection gets what it missed when it comes back with the id it saw last. Ids are
 * `<process>-<sequence>`, so an id from before a restart is recognised as such.
 */
@Injectable()
export class LiveEvents {
  private readonly process = Date.now().toString(36);
  private sequence = 0;
  private readonly recent: LiveEvent[] = [];
  private readonly listeners = new Set<LiveListener>();

  /** The id of the newest event (empty before the first): a page built now goes on from it. */
  get lastId(): string {
    return this.sequence === 0 ? '' : `${this.process}-${this.sequence}`;
  }

  get clients(): number {
    return this.listeners.size;
  }

  /** `type`: a dotted lower-case name; `data`: anything JSON can carry. */
  publish(type: string, data: unknown): void {
    const id = `${this.process}-${++this.sequence}`;
    const event: LiveEvent = {
      id,
      type,
      frame: `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`,
    };
    this.recent.push(event);
    if (this.recent.length > REPLAY_EVENTS) this.recent.shift();
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: LiveListener, lastEventId?: string): LiveSubscription {
    this.listeners.add(listener);
    const unsubscribe = () => void this.listeners.delete(listener);
    if (lastEventId === undefined) return { missed: [], complete: true, unsubscribe };
    if (lastEventId === '') lastEventId = `${this.process}-0`;
    const [process, sequenceText] = lastEventId.split('-');
    const seen = Number(sequenceText);
    if (process !== this.process || !Number.isInteger(seen))
      return { missed: [], complete: false, unsubscribe };
    const missed = this.recent.filter((event) => Number(event.id.split('-')[1]) > seen);
    const oldestKept =
      this.recent.length === 0 ? this.sequence + 1 : Number(this.recent[0]!.id.split('-')[1]);
    return { missed, complete: oldestKept <= seen + 1, unsubscribe };
  }
}
