import { join } from 'node:path';
import type { Endpoint, VirtualNetwork, VirtualTime } from '#camera-emulator';
import { decodeDeviceFrame } from '#protocol';
import { AmplificationBudget, EndOfTurn, UDP_SERVER_DEFAULTS } from '#udp-transport';
import { validateEnvironment } from '../../config/index.js';
import { Spool } from '../../spool/spool.js';
import { SPOOL_FOLDER } from '../../spool/spool-files.js';
import type { ImageArrival, StoredImage } from '../../storage/image-record.js';
import { ImageStore } from '../../storage/image-store.js';
import { TransferEvents } from '../transfer-events.js';
import { transferLimitsFrom } from '../transfer-limits.js';
import { TransfersService, type Reply } from '../transfers.service.js';
import { answerFrame } from '../testing/answer-frame.js';
import { ProcessClock } from './process-clock.js';

/** Promises of real work (disk) the simulation must wait for before time moves on. */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const forget = (): void => {
      this.pending.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  get size(): number {
    return this.pending.size;
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

/** An image store whose writes the simulation waits for, and whose results a killed process never sees. */
class SimulatedImageStore extends ImageStore {
  dead = false;

  constructor(
    root: string,
    clock: ProcessClock,
    private readonly inFlight: InFlight,
  ) {
    super(root, clock);
  }

  override save(image: Buffer, arrival: ImageArrival): Promise<StoredImage> {
    const written = this.inFlight.track(super.save(image, arrival));
    // A killed process never learns how its last writes ended: what reached the disk stays there.
    return written.then(
      (stored) => (this.dead ? new Promise<never>(() => undefined) : stored),
      (error: unknown) => (this.dead ? new Promise<never>(() => undefined) : Promise.reject(error)),
    );
  }
}

/** Settings of the simulated gateway beyond the defaults. */
export type GatewaySettings = Record<string, string | number>;

/**
 * One gateway process on the simulated network: the real transfer service, spool and image store
 * on a real directory, in simulated time, behind a dispatch that answers the way the UDP transport
 * does (decoding, the amplification budget, replies to one turn's datagrams held until the turn
 * is handled). `kill` is kill -9: the process stops at once and its disk stays as it was;
 * `terminate` is SIGTERM: the graceful drain.
 */
export class SimulatedGateway {
  private alive = true;
  private died!: () => void;
  /** Settles once the process is dead. */
  readonly dead = new Promise<void>((resolve) => (this.died = resolve));
  /** Replies of the open turn, sent at its end (after the spool's write), as the transport does. */
  private held: { reply: Buffer; to: Endpoint }[] = [];
  /** Set by `killAfterNextDatagram`: the process dies right after handling one more datagram, mid-turn. */
  private dieAfterNext = false;

  private constructor(
    private readonly network: VirtualNetwork,
    private readonly clock: ProcessClock,
    private readonly images: SimulatedImageStore,
    private readonly spool: Spool | null,
    private readonly service: TransfersService,
    private readonly turn: EndOfTurn,
    private readonly budget: AmplificationBudget,
    private readonly inFlight: InFlight,
  ) {
    turn.onRelease(() => {
      const held = this.held;
      this.held = [];
      for (const { reply, to } of held) this.transmit(reply, to);
    });
  }

  /** Starts a process on `storageDir` (recovering what a previous one left) and plugs it into the network. */
  static async start(
    time: VirtualTime,
    network: VirtualNetwork,
    storageDir: string,
    inFlight: InFlight,
    settings: GatewaySettings = {},
  ): Promise<SimulatedGateway> {
    const env = validateEnvironment({ STORAGE_DIR: storageDir, ...settings });
    const limits = transferLimitsFrom(env);
    const clock = new ProcessClock(time);
    const images = new SimulatedImageStore(storageDir, clock, inFlight);
    await inFlight.track(images.prepare());
    const turn = new EndOfTurn();
    const budget = new AmplificationBudget({
      factor: UDP_SERVER_DEFAULTS.amplificationFactor,
      windowMs: UDP_SERVER_DEFAULTS.amplificationWindowMs,
      maxPeers: UDP_SERVER_DEFAULTS.maxTrackedPeers,
      clock: () => clock.now(),
    });
    const spool = env.SPOOL_ENABLED
      ? new Spool(join(storageDir, SPOOL_FOLDER), {
          completedRecordTtlMs: limits.completedRecordTtlMs,
          touch: () => turn.touch(),
        })
      : null;
    const service = new TransfersService(
      limits,
      clock,
      images,
      new TransferEvents(),
      turn,
      spool,
      () => Promise.resolve(0),
      (address, bytes) => budget.credit(address, bytes),
    );
    await inFlight.track(service.onModuleInit());
    const gateway = new SimulatedGateway(network, clock, images, spool, service, turn, budget, inFlight);
    network.listen((datagram, from) => gateway.receive(datagram, from));
    return gateway;
  }

  /**
   * kill -9: nothing more runs, nothing more is written or sent (the open turn's records and
   * replies are lost); the files stay as they are.
   */
  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    this.died();
    this.clock.kill();
    this.images.dead = true;
    this.held = [];
    this.network.listen(undefined);
    // The system closes a dead process's files; what it had written stays.
    this.spool?.abandon();
  }

  /** The process dies right after it handled its next datagram, before the end of that turn. */
  killAfterNextDatagram(): void {
    this.dieAfterNext = true;
  }

  /** SIGTERM: uploads refused, transfers in progress given `graceMs`, then the process exits. */
  async terminate(graceMs: number): Promise<void> {
    if (!this.alive) return;
    this.service.beginDrain();
    await this.service.drain(graceMs);
    await this.inFlight.settle();
    this.turn.flush();
    this.kill();
  }

  private receive(datagram: Buffer, from: Endpoint): void {
    if (!this.alive) return;
    this.turn.touch();
    const decoded = decodeDeviceFrame(datagram);
    if (!decoded.ok) return;
    this.budget.credit(from.address, datagram.length);
    const remote = { address: from.address, port: from.port };
    const frame = decoded.frame;
    const reply = answerFrame(this.service, frame, remote, this.budget.remaining(from.address));
    if (reply === null) return;
    if (reply instanceof Promise)
      reply.then(
        (settled) => this.send(settled, from),
        () => undefined,
      );
    else this.send(reply, from);
    if (this.dieAfterNext) this.kill();
  }

  private send(reply: Reply, to: Endpoint): void {
    if (!this.alive || reply === undefined) return;
    if (!this.budget.tryDebit(to.address, reply.length)) return;
    if (this.turn.open) this.held.push({ reply, to });
    else this.transmit(reply, to);
  }

  private transmit(reply: Buffer, to: Endpoint): void {
    if (this.alive) this.network.sendToDevice(reply, to);
  }
}
