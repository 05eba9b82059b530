import type { IncomingMessage, Server, ServerResponse } from 'node:http';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** What the pacer is told. */
export interface RequestPacerOptions {
  /** Milliseconds of the event loop's time one batch of requests may take (at least one is handled). */
  readonly batchMs: number;
  /** Most of the loop's time batches take while requests queue (0 to 1): the rest is left idle. */
  readonly loopShare: number;
  /** Requests waiting past this are answered 503 at once. */
  readonly maxWaiting: number;
  /** Requests that skip the queue (health probes, scrapes: cheap, and must answer under load). */
  readonly isUrgent: (request: IncomingMessage) => boolean;
}

/**
 * Shares the event loop between HTTP and the UDP side: requests are handed to the application
 * while they have taken less than `turnBudgetMs` of this turn of the loop; the rest wait for the
 * next turn (a `setImmediate` batch each), so between two batches the loop reads the cameras'
 * datagrams again. Without it, a burst of
 * hundreds of requests is handled in one go while every device waits for its ACK.
 */
export class RequestPacer {
  private readonly waiting: { request: IncomingMessage; response: ServerResponse }[] = [];
  private scheduled = false;
  private listeners: RequestListener[] = [];

  constructor(private readonly options: RequestPacerOptions) {}

  /** Puts the pacer between `server` and the listeners it has now (the application). */
  install(server: Server): void {
    this.listeners = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) =>
      this.arrive(request, response),
    );
  }

  get queued(): number {
    return this.waiting.length;
  }

  private arrive(request: IncomingMessage, response: ServerResponse): void {
    if (this.options.isUrgent(request)) {
      this.handle(request, response);
      return;
    }
    if (this.waiting.length >= this.options.maxWaiting) {
      response.writeHead(503, { 'Retry-After': '1', 'Content-Type': 'text/plain' }).end('busy\n');
      return;
    }
    this.waiting.push({ request, response });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    const startedAt = performance.now();
    do {
      const next = this.waiting.shift();
      if (!next) return;
      // A client that left while waiting costs nothing more.
      if (next.request.destroyed || next.request.socket.destroyed) continue;
      this.handle(next.request, next.response);
    } while (performance.now() - startedAt < this.options.batchMs);
    if (this.waiting.length === 0) return;
    // Idle in between, rather than busy: a thread that sleeps is woken at once by the kernel when
    // a datagram comes, one that never does waits for its next time slice.
    const spent = performance.now() - startedAt;
    const pause = (spent * (1 - this.options.loopShare)) / this.options.loopShare;
    this.scheduled = true;
    if (pause < 1) setImmediate(() => this.turn());
    else setTimeout(() => this.turn(), pause);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    for (const listener of this.listeners) listener(request, response);
  }
}
