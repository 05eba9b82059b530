/**
 * Every timeout and pause of the deployed firmware, in one place. A device emulator never waits
 * for a number written inline: it reads its {@link FirmwareTiming}, so that tests and benchmarks
 * can run the same logic faster with {@link scaleTiming}.
 */

/** The waits of one firmware build, in milliseconds. A generation ignores the fields it has no use for. */
export interface FirmwareTiming {
  /** How long the device waits for the reply to its upload request (op 1). */
  readonly requestTimeoutMs: number;
  /** Pause after an unanswered upload request before the next try. */
  readonly requestRetryDelayMs: number;
  /** Generation A: how long it waits for the ACK of a data packet (op 2). */
  readonly packetTimeoutMs: number;
  /** Generation A: pause after a NACK or a packet timeout before resending the packet. */
  readonly packetRetryDelayMs: number;
  /** Generation B: how long it waits for the reply to an end of transfer (op 3). */
  readonly endOfTransferTimeoutMs: number;
  /** Generation B: pause after an unanswered end of transfer before sending it again. */
  readonly endOfTransferRetryDelayMs: number;
}

/** Generation A waits this long for any reply (request or packet). */
const STOP_AND_WAIT_TIMEOUT_MS = 5000;

/** Generation A's WiFi and EthernetSPI2 builds pause this long before any new try. */
const STOP_AND_WAIT_RETRY_MS = 1000;

/** Generation A's optimised Ethernet build pauses this long before any new try. */
const OPTIMISED_RETRY_MS = 100;

/** Generation B waits this long for any reply. */
const BURST_TIMEOUT_MS = 1000;

/** Generation B pauses this long between two tries. */
const BURST_RETRY_DELAY_MS = 100;

/**
 * The timings of the firmware in the field (PROTOCOL.md, "The firmware already in the field"):
 * - `A_WIFI`: generation A, WiFi build: 5000 ms timeouts, 1000 ms before each new try (request or
 *   packet): a resend every 6 s;
 * - `A_ETHERNET_SPI2`: generation A, Ethernet build on the EthernetSPI2 library: the same waits;
 * - `A_ETHERNET`: generation A, optimised Ethernet build: 5000 ms timeouts, 100 ms before each new
 *   try: a resend every 5.1 s, or ten a second while NACKed;
 * - `B`: generation B: 1000 ms timeouts, 100 ms between tries.
 */
export const FIRMWARE_TIMING = Object.freeze({
  A_WIFI: stopAndWaitTiming(STOP_AND_WAIT_RETRY_MS),
  A_ETHERNET_SPI2: stopAndWaitTiming(STOP_AND_WAIT_RETRY_MS),
  A_ETHERNET: stopAndWaitTiming(OPTIMISED_RETRY_MS),
  B: Object.freeze<FirmwareTiming>({
    requestTimeoutMs: BURST_TIMEOUT_MS,
    requestRetryDelayMs: BURST_RETRY_DELAY_MS,
    packetTimeoutMs: BURST_TIMEOUT_MS,
    packetRetryDelayMs: BURST_RETRY_DELAY_MS,
    endOfTransferTimeoutMs: BURST_TIMEOUT_MS,
    endOfTransferRetryDelayMs: BURST_RETRY_DELAY_MS,
  }),
});

/** Generation A: every wait 5000 ms, every pause before a new try `retryDelayMs`. */
function stopAndWaitTiming(retryDelayMs: number): FirmwareTiming {
  return Object.freeze({
    requestTimeoutMs: STOP_AND_WAIT_TIMEOUT_MS,
    requestRetryDelayMs: retryDelayMs,
    packetTimeoutMs: STOP_AND_WAIT_TIMEOUT_MS,
    packetRetryDelayMs: retryDelayMs,
    endOfTransferTimeoutMs: STOP_AND_WAIT_TIMEOUT_MS,
    endOfTransferRetryDelayMs: retryDelayMs,
  });
}

/**
 * The same timing `factor` times faster or slower: every field multiplied by `factor` and
 * rounded, never below 1 ms (a zero timeout would make every reply late).
 *
 * @throws RangeError when `factor` is not a positive finite number.
 */
export function scaleTiming(timing: FirmwareTiming, factor: number): FirmwareTiming {
  if (!Number.isFinite(factor) || factor <= 0) {
    throw new RangeError(`timing factor must be a positive number, got ${String(factor)}`);
  }
  const scale = (ms: number): number => Math.max(1, Math.round(ms * factor));
  return Object.freeze({
    requestTimeoutMs: scale(timing.requestTimeoutMs),
    requestRetryDelayMs: scale(timing.requestRetryDelayMs),
    packetTimeoutMs: scale(timing.packetTimeoutMs),
    packetRetryDelayMs: scale(timing.packetRetryDelayMs),
    endOfTransferTimeoutMs: scale(timing.endOfTransferTimeoutMs),
    endOfTransferRetryDelayMs: scale(timing.endOfTransferRetryDelayMs),
  });
}
