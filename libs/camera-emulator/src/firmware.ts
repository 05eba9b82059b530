/**
 * The firmware builds in the field and the facts about them the emulator reproduces
 * (PROTOCOL.md, "The firmware already in the field"). Constants only: the behaviour lives in
 * `stop-and-wait.ts` and `burst.ts`.
 */
import { FIRMWARE_TIMING, type FirmwareTiming } from './timing.js';

/**
 * - `A`: stop-and-wait, one packet at a time, each waiting for its ACK;
 * - `B`: burst, every packet at once, then end of transfer and missing-packet rounds;
 * - `seed`: generation A behaviour, but its upload request carries the image size S, as the
 *   seed protocol allows (no such firmware is deployed yet).
 */
export type Generation = 'A' | 'B' | 'seed';

/** The network side of a build. */
export type Build = 'wifi' | 'ethernet';

/**
 * How a build reads a reply longer than its 32-byte buffer:
 * - `split-32`: the WiFi build reads 32 bytes at a time and takes the rest as the next reply;
 * - `truncate-32`: the Ethernet builds copy the whole datagram into 32 bytes (a real device's
 *   memory is corrupted; the emulator keeps the first 32 bytes and records a violation).
 */
export type ReplyReadMode = 'split-32' | 'truncate-32';

/** P of the WiFi build of generation A. */
export const WIFI_PACKET_SIZE = 1024;

/** P of the Ethernet builds (generation A Ethernet and generation B). */
export const ETHERNET_PACKET_SIZE = 1460;

/** Device id every device of a batch carries until it is reflashed. */
export const FACTORY_DEVICE_ID = 99;

/** Port the firmware sends from and the server listens on. */
export const FIRMWARE_PORT = 44444;

/** Size of the reply buffer of every build. */
export const REPLY_BUFFER_BYTES = 32;

/** Generation B's network chip keeps this many bytes of received datagrams. */
export const CHIP_BUFFER_BYTES = 8 * 1024;

/** Generation B's network chip stores each datagram behind a header of this many bytes. */
export const CHIP_HEADER_BYTES = 8;

/**
 * Generation B checks `count++ > 5` after every try that did not end the exchange (an unanswered
 * request; an end of transfer answered with a missing list, or not at all): it gives up on the
 * 7th. Generation A never gives up.
 */
export const BURST_GIVE_UP_AFTER = 7;

/** Width of the image size S in the seed variant's upload request. */
export const SEED_IMAGE_SIZE_BYTES = 4;

/** Everything that tells one build from another. Frozen; pick one from {@link FIRMWARE}. */
export interface FirmwareProfile {
  readonly name: string;
  readonly generation: Generation;
  readonly build: Build;
  /** P, data header included. */
  readonly maxPacketSize: number;
  readonly timing: FirmwareTiming;
  readonly replyReads: ReplyReadMode;
  /** Bytes of received datagrams kept while the device is not reading (Infinity: no limit). */
  readonly receiveBufferBytes: number;
  /** What each kept datagram costs beyond its own length. */
  readonly receiveOverheadBytes: number;
  /** Ethernet builds ignore replies whose source IP is not the server address they send to. */
  readonly checksSourceAddress: boolean;
  /** Width of S in the upload request; 0: no S (the deployed firmware). */
  readonly imageSizeBytes: number;
}

const A_WIFI: FirmwareProfile = Object.freeze({
  name: 'A-wifi',
  generation: 'A',
  build: 'wifi',
  maxPacketSize: WIFI_PACKET_SIZE,
  timing: FIRMWARE_TIMING.A_WIFI,
  replyReads: 'split-32',
  receiveBufferBytes: Infinity,
  receiveOverheadBytes: 0,
  checksSourceAddress: false,
  imageSizeBytes: 0,
});

const A_ETHERNET: FirmwareProfile = Object.freeze({
  name: 'A-ethernet',
  generation: 'A',
  build: 'ethernet',
  maxPacketSize: ETHERNET_PACKET_SIZE,
  timing: FIRMWARE_TIMING.A_ETHERNET,
  replyReads: 'truncate-32',
  receiveBufferBytes: Infinity,
  receiveOverheadBytes: 0,
  checksSourceAddress: true,
  imageSizeBytes: 0,
});

/** Generation A on the EthernetSPI2 library: the optimised build's network, the WiFi build's pauses. */
const A_ETHERNET_SPI2: FirmwareProfile = Object.freeze({
  ...A_ETHERNET,
  name: 'A-ethernet-spi2',
  timing: FIRMWARE_TIMING.A_ETHERNET_SPI2,
});

const B: FirmwareProfile = Object.freeze({
  name: 'B',
  generation: 'B',
  build: 'ethernet',
  maxPacketSize: ETHERNET_PACKET_SIZE,
  timing: FIRMWARE_TIMING.B,
  replyReads: 'truncate-32',
  receiveBufferBytes: CHIP_BUFFER_BYTES,
  receiveOverheadBytes: CHIP_HEADER_BYTES,
  checksSourceAddress: true,
  imageSizeBytes: 0,
});

/**
 * The builds the emulator knows: the four deployed ones (generation A on WiFi, on Ethernet with
 * the EthernetSPI2 library and with the optimised library, generation B) and the seed variant
 * (generation A sending S) on either network.
 */
export const FIRMWARE = Object.freeze({
  A_WIFI,
  A_ETHERNET_SPI2,
  A_ETHERNET,
  B,
  SEED_WIFI: Object.freeze<FirmwareProfile>({
    ...A_WIFI,
    name: 'seed-wifi',
    generation: 'seed',
    imageSizeBytes: SEED_IMAGE_SIZE_BYTES,
  }),
  SEED_ETHERNET: Object.freeze<FirmwareProfile>({
    ...A_ETHERNET,
    name: 'seed-ethernet',
    generation: 'seed',
    imageSizeBytes: SEED_IMAGE_SIZE_BYTES,
  }),
});

/** Whether a generation waits for an ACK after every packet. */
export function isStopAndWait(generation: Generation): boolean {
  return generation !== 'B';
}
