import type { Endpoint } from '#camera-emulator';
import { PingFlags } from '#protocol';
import type { GatewayProcess } from './gateway-process.js';
import type { RawPeer } from './raw-peer.js';
import type { StoppableClock } from './stoppable-clock.js';

/** How long one ping waits for its answer before the next is sent. */
const PING_EVERY_MS = 20;

/** The longest a restart is waited for. */
const RESTART_TIMEOUT_MS = 60_000;

/**
 * Pings `[0, id, 0]` until the answer says new uploads are accepted (a draining process answers
 * without that flag), and returns when (`performance.now()`), or undefined after `timeoutMs`.
 */
export async function pingUntilServing(
  peer: RawPeer,
  gateway: Endpoint,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const reply = await peer.ask([0, 99, 0], gateway, PING_EVERY_MS);
    if (reply && reply[0] === 0 && reply[2] === 0 && ((reply[4] ?? 0) & PingFlags.AcceptingUploads) !== 0) {
      return performance.now();
    }
  }
  return undefined;
}

/**
 * Pings until the answer says new uploads are refused (the process drains) or `gone()` holds
 * (it exited); resolves then.
 */
export async function waitUntilDraining(
  peer: RawPeer,
  gateway: Endpoint,
  gone: () => boolean,
): Promise<void> {
  while (!gone()) {
    const reply = await peer.ask([0, 99, 0], gateway, PING_EVERY_MS);
    if (reply && reply[0] === 0 && reply[2] === 0 && ((reply[4] ?? 0) & PingFlags.AcceptingUploads) === 0)
      return;
  }
}

/** A restart as measured: from the signal until the process exited, and until the next one served. */
export interface Outage {
  readonly exitMs: number;
  readonly servingMs: number;
}

/** How a restart treats the camera that lives through it. */
export interface RestartOptions {
  /** Pings the gateway to see when the next process serves (else: when its health says ready). */
  readonly peer?: RawPeer;
  /**
   * The camera's clock, and how long the outage may last for it: the clock is stopped `outageMs`
   * after `from` (a `performance.now()` instant; by default, when the process exited) if the next
   * process does not serve by then, and started again once it does. The camera lives through the
   * outage a scenario is about, whatever the machine's load does to a process's start-up.
   */
  readonly camera?: { readonly clock: StoppableClock; readonly outageMs: number; readonly from?: number };
  /** Runs between the exit and the next start (what happens to the disk meanwhile). */
  readonly whileDown?: () => Promise<void>;
  /** Told when the process has exited. */
  readonly onExit?: () => void;
}

/** Stops `gateway` with `signal` and starts the next process on the same ports and disk. */
export async function restartGateway(
  gateway: GatewayProcess,
  signal: 'SIGKILL' | 'SIGTERM',
  { peer, camera, whileDown, onExit }: RestartOptions = {},
): Promise<Outage> {
  const signalledAt = performance.now();
  let stopCamera: NodeJS.Timeout | undefined;
  try {
    await (signal === 'SIGKILL' ? gateway.kill() : gateway.terminate());
    const exitedAt = performance.now();
    const exitMs = exitedAt - signalledAt;
    onExit?.();
    if (camera) {
      stopCamera = setTimeout(
        () => camera.clock.stop(),
        (camera.from ?? exitedAt) + camera.outageMs - performance.now(),
      );
    }
    await whileDown?.();
    const started = gateway.start();
    const served = peer
      ? await pingUntilServing(peer, gateway.udp, RESTART_TIMEOUT_MS)
      : await started.then(() => performance.now());
    resumeCamera();
    await started;
    return { exitMs, servingMs: (served ?? performance.now()) - signalledAt };
  } finally {
    resumeCamera();
  }

  function resumeCamera(): void {
    clearTimeout(stopCamera);
    camera?.clock.start();
  }
}

/** A deadline counted from a moment a test learns only as it comes (the end of a restart). */
export class Deadline {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;

  /** Aborts `ms` after `settled` settles. */
  after(settled: Promise<unknown>, ms: number): void {
    const abort = (): void => void setTimeout(() => this.controller.abort(), ms).unref();
    settled.then(abort, abort);
  }
}
