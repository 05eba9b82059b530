import { DATA_HEADER_BYTES } from '#protocol';
import { FIRMWARE, SeededRandom, type FirmwareProfile, type LinkOptions } from '#camera-emulator';

/** One device's time at one address: the images it uploads there, one after the other. */
export interface Stint {
  readonly address: string;
  readonly images: readonly Buffer[];
}

/**
 * A camera of the schedule: a firmware build and an id (99 for several of them: a batch never
 * reflashed), its link, and where it uploads, in order (a second stint is a DHCP move).
 */
export interface Tenant {
  readonly name: string;
  readonly firmware: FirmwareProfile;
  readonly deviceId: number;
  readonly link: LinkOptions;
  readonly stints: readonly Stint[];
  /** Pause between two images of the tenant, in milliseconds (0: back to back). */
  readonly pauseMs: number;
  /** Delay before its first upload. */
  readonly startMs: number;
}

/** Something that happens to the gateway process. */
export interface Fault {
  readonly atMs: number;
  /** kill -9, or SIGTERM and its drain. */
  readonly kind: 'kill' | 'terminate';
  /** How long until the next process is started. */
  readonly downtimeMs: number;
  /** Damage found on the spool's files by the next process. */
  readonly damage: 'none' | 'segment' | 'completed-log';
  /** A kill that lands in the middle of a turn: right after a datagram was handled, before its records are written. */
  readonly midTurn: boolean;
}

/** One randomized run: cameras sharing addresses across generations, a lossy network, faults. */
export interface Schedule {
  readonly seed: number;
  readonly tenants: readonly Tenant[];
  readonly faults: readonly Fault[];
}

const BUILDS: readonly FirmwareProfile[] = [
  FIRMWARE.A_WIFI,
  FIRMWARE.A_ETHERNET_SPI2,
  FIRMWARE.A_ETHERNET,
  FIRMWARE.B,
];

/** A size of 1 to `maxPackets` packets that is not an exact multiple of P-8 (the firmware bug is tested elsewhere). */
function imageSize(random: SeededRandom, maxPacketSize: number, maxPackets: number): number {
  const payload = maxPacketSize - DATA_HEADER_BYTES;
  const packets = 1 + random.below(maxPackets);
  return (packets - 1) * payload + 1 + random.below(payload - 1);
}

function link(random: SeededRandom): LinkOptions {
  const lossy = random.chance(0.75);
  const conditions = () => ({
    loss: lossy ? random.next() * 0.3 : 0,
    duplication: random.chance(0.6) ? random.next() * 0.12 : 0,
    // Jitter well beyond one exchange (a fraction of a millisecond here): copies and reorderings
    // arrive during later exchanges.
    jitterMs: random.chance(0.6) ? random.next() * (random.chance(0.2) ? 200 : 40) : 0,
  });
  return { seed: random.below(2 ** 31), outgoing: conditions(), incoming: conditions() };
}

/**
 * A schedule drawn from `seed`: 2 to 4 addresses, each taken by one or two cameras in turn (the
 * second often another generation with the same id), some moving to a fresh address halfway;
 * up to two kills or SIGTERMs of the gateway in the first 30 seconds, with short downtimes, some
 * leaving damaged spool files behind.
 */
export function drawSchedule(seed: number): Schedule {
  const random = new SeededRandom(seed);
  const tenants: Tenant[] = [];
  const addresses = 2 + random.below(3);
  let fresh = 100;
  for (let slot = 0; slot < addresses; slot++) {
    const address = `127.0.0.${10 + slot}`;
    const occupants = random.chance(0.4) ? 2 : 1;
    for (let occupant = 0; occupant < occupants; occupant++) {
      const firmware = BUILDS[random.below(BUILDS.length)]!;
      const images = (): Buffer[] =>
        Array.from({ length: 1 + random.below(3) }, () =>
          random.bytes(imageSize(random, firmware.maxPacketSize, 6)),
        );
      const stints: Stint[] = [{ address, images: images() }];
      if (occupant === occupants - 1 && random.chance(0.25))
        stints.push({ address: `127.0.0.${fresh++}`, images: images() });
      tenants.push({
        name: `${firmware.name}#${tenants.length}`,
        firmware,
        deviceId: random.chance(0.6) ? 99 : 1 + random.below(250),
        link: link(random),
        stints,
        pauseMs: random.chance(0.3) ? 0 : random.below(1500),
        startMs: random.below(2000),
      });
    }
  }
  const faults: Fault[] = [];
  const faultCount = random.below(3);
  for (let index = 0; index < faultCount; index++) {
    const kind = random.chance(0.7) ? 'kill' : 'terminate';
    faults.push({
      atMs: random.below(30_000),
      kind,
      downtimeMs: 100 + random.below(4000),
      damage:
        kind === 'kill' && random.chance(0.3) ? (random.chance(0.5) ? 'segment' : 'completed-log') : 'none',
      midTurn: kind === 'kill' && random.chance(0.5),
    });
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  return { seed, tenants, faults };
}
