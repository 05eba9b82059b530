import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { FIRMWARE } from '#camera-emulator';
import { scaleFor, type SimBuild, type SimGeneration, type TimeScale } from './fleet.js';
import { generationC } from './generation-c.js';

/** A command line the simulator cannot run; the message says which option and what it accepts. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Where the devices send: a host name or IP address, and a UDP port. */
export interface TargetOption {
  readonly host: string;
  readonly port: number;
}

/** What the link does to every datagram of every device, each way. */
export interface LinkChoice {
  /** Probability that a datagram is lost. */
  readonly loss: number;
  /** Probability that a datagram that got through arrives twice. */
  readonly duplicate: number;
  /** Probability that a datagram is held back a random delay (later ones overtake it). */
  readonly reorder: number;
  /** Longest hold-back of a reordered datagram, in milliseconds (drawn uniformly below it). */
  readonly reorderDelayMs: number;
}

/** Everything a simulator run needs, validated. */
export interface SimOptions {
  /** Firmware builds, given to devices in turn (device k gets `builds[k % builds.length]`). */
  readonly builds: readonly SimBuild[];
  readonly devices: number;
  /** Images each device uploads, one after the other. */
  readonly images: number;
  /** Size of the synthetic images, when no folder is given. */
  readonly imageSize: number | undefined;
  /** Folder of JPEGs to upload instead of synthetic images. */
  readonly imagesFrom: string | undefined;
  readonly link: LinkChoice;
  readonly target: TargetOption;
  /** Local address the devices bind: `auto` spreads them over 127.x addresses on loopback. */
  readonly bind: string;
  /** Every device carries the factory id 99. */
  readonly sameId: boolean;
  /** Waits for the op-4 analysis result of every image (and confirms it), up to `resultTimeoutMs`. */
  readonly waitResult: boolean;
  readonly resultTimeoutMs: number;
  /** Multiplies every firmware timeout and pause (0.1: ten times faster), for all or per generation. */
  readonly timeScale: TimeScale;
  /** An upload still unfinished after this many milliseconds is counted as failed. */
  readonly deadlineMs: number;
  /** Devices start spread evenly over this many milliseconds. */
  readonly rampMs: number;
  /** Pause of a device between two of its images, in milliseconds. */
  readonly intervalMs: number;
  readonly seed: number;
  readonly json: boolean;
  /** No live progress on stderr. */
  readonly quiet: boolean;
}

/** The parsed command line: options to run, or a request for the usage text. */
export type SimCommand = { readonly help: true } | { readonly help: false; readonly options: SimOptions };

/** Default UDP target: the port the deployed firmware is built for, on this host. */
export const DEFAULT_TARGET: TargetOption = Object.freeze({ host: '127.0.0.1', port: 44444 });

/** Size of a synthetic image when neither `--size` nor `--images-from` is given (an XGA JPEG is 30-150 KB). */
export const DEFAULT_IMAGE_SIZE = 60_000;

/** Default patience of one upload, in firmware time (multiplied by `--time-scale`). */
export const DEFAULT_DEADLINE_MS = 300_000;

/** Default wait for the op-4 result after an upload. */
export const DEFAULT_RESULT_TIMEOUT_MS = 30_000;

/** Default longest hold-back of a reordered datagram. */
export const DEFAULT_REORDER_DELAY_MS = 30;

/** Generation names as `--time-scale` takes them. */
const GENERATION_NAMES: Readonly<Record<string, SimGeneration>> = { a: 'A', b: 'B', seed: 'seed', c: 'C' };

/** Packet sizes of the deployed builds: WiFi and Ethernet. */
const PACKET_SIZES = [1024, 1460] as const;

/** Most devices one run opens (each has its own socket). */
const MAX_DEVICES = 10_000;

export const USAGE = `Usage: npm run sim -- [options]

Emulates a fleet of ESP32-CAM cameras, byte for byte as the deployed firmware, uploading to a
cable-inspector gateway over UDP, and reports how it went.

Fleet
  --devices <n>          cameras uploading at once (default 1)
  --generation <list>    firmware of each camera, comma-separated and given in turn:
                         A (stop-and-wait), B (burst + end of transfer), seed (A sending S),
                         C (this project's C library, firmware/: run as firmware/build/
                         cable-uplink-send behind a relay with the same link; npm run
                         build:firmware first); or an exact build: A-wifi,
                         A-ethernet (optimised), A-ethernet-spi2, seed-wifi,
                         seed-ethernet (default A)
  --packet-size <P>      1024 (WiFi build) or 1460 (Ethernet builds) for A, seed and C;
                         B always sends 1460 (default: 1024 for A and seed, 1460 for C)
  --same-id              every camera carries the factory id 99 (default: ids 0, 1, 2, …)
  --images <n>           images each camera uploads, one after the other (default 1)
  --size <bytes>         size of the synthetic images (default ${DEFAULT_IMAGE_SIZE})
  --images-from <dir>    upload the JPEG files of this folder instead (in turn)
  --interval <ms>        pause of a camera between two images (default 0)
  --ramp <ms>            start the cameras spread evenly over this time (default 0)

Network (each way, every datagram)
  --loss <p>             probability a datagram is lost (0..1, default 0)
  --duplicate <p>        probability a datagram arrives twice (0..1, default 0)
  --reorder <p>          probability a datagram is held back a random delay so that later
                         ones overtake it (0..1, default 0)
  --reorder-delay <ms>   longest hold-back of a reordered datagram (default ${DEFAULT_REORDER_DELAY_MS})
  --target <host:port>   gateway address (default ${DEFAULT_TARGET.host}:${DEFAULT_TARGET.port})
  --bind <address>       local address of the cameras; auto: distinct 127.x addresses when
                         the target is on loopback, any address otherwise (default auto)

Timing and results
  --time-scale <f>       multiply every firmware timeout and pause (0.1: ten times faster);
                         or per generation, e.g. A=0.2,B=1,C=0.5 (a generation not named: 1)
  --deadline <ms>        count an upload still unfinished after this as failed
                         (default ${DEFAULT_DEADLINE_MS} ms times the largest time scale)
  --wait-result          wait for each image's analysis result (op 4) and confirm it
  --result-timeout <ms>  how long to wait for it (default ${DEFAULT_RESULT_TIMEOUT_MS})
  --seed <n>             seed of losses, delays and synthetic images (default 1)

Output
  --json                 print the summary as one JSON object on stdout
  --quiet                no live progress on stderr
  --help                 this text

Exit code: 0 when every transfer succeeded (and, with --wait-result, every result arrived),
1 otherwise, 2 for a command line that does not validate.`;

const OPTIONS = {
  devices: { type: 'string' },
  generation: { type: 'string' },
  'packet-size': { type: 'string' },
  'same-id': { type: 'boolean' },
  images: { type: 'string' },
  size: { type: 'string' },
  'images-from': { type: 'string' },
  interval: { type: 'string' },
  ramp: { type: 'string' },
  loss: { type: 'string' },
  duplicate: { type: 'string' },
  reorder: { type: 'string' },
  'reorder-delay': { type: 'string' },
  target: { type: 'string' },
  bind: { type: 'string' },
  'time-scale': { type: 'string' },
  deadline: { type: 'string' },
  'wait-result': { type: 'boolean' },
  'result-timeout': { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Parses and validates the simulator's command line. Every problem found is reported at once, one
 * line each, naming the option and what it accepts.
 *
 * @throws UsageError when the command line does not validate.
 */
export function parseSimArgs(argv: readonly string[]): SimCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { help: true };
  const problems: string[] = [];
  const read = new OptionReader(values, problems);

  const packetSize = read.choice('packet-size', PACKET_SIZES);
  const builds = parseGenerations(read.string('generation') ?? 'A', packetSize, problems);
  const timeScale = read.timeScale('time-scale') ?? 1;
  const imagesFrom = read.string('images-from');
  const sizeGiven = read.string('size') !== undefined;
  const imageSize = read.integer('size', 1, Number.MAX_SAFE_INTEGER);
  if (imagesFrom !== undefined && sizeGiven) problems.push('--size and --images-from: give one or the other');
  const options: SimOptions = {
    builds,
    devices: read.integer('devices', 1, MAX_DEVICES) ?? 1,
    images: read.integer('images', 1, 1_000_000) ?? 1,
    imageSize: imagesFrom === undefined ? (imageSize ?? DEFAULT_IMAGE_SIZE) : undefined,
    imagesFrom,
    link: {
      loss: read.probability('loss') ?? 0,
      duplicate: read.probability('duplicate') ?? 0,
      reorder: read.probability('reorder') ?? 0,
      reorderDelayMs: read.integer('reorder-delay', 1, 600_000) ?? DEFAULT_REORDER_DELAY_MS,
    },
    target: parseTarget(read.string('target'), problems),
    bind: parseBind(read.string('bind'), problems),
    sameId: values['same-id'] === true,
    waitResult: values['wait-result'] === true,
    resultTimeoutMs: read.integer('result-timeout', 1, 3_600_000) ?? DEFAULT_RESULT_TIMEOUT_MS,
    timeScale,
    deadlineMs:
      read.integer('deadline', 1, 86_400_000) ??
      Math.round(
        DEFAULT_DEADLINE_MS * Math.max(...builds.map((build) => scaleFor(timeScale, build.generation)), 0),
      ),
    rampMs: read.integer('ramp', 0, 3_600_000) ?? 0,
    intervalMs: read.integer('interval', 0, 3_600_000) ?? 0,
    seed: read.integer('seed', 0, 0xffff_ffff) ?? 1,
    json: values.json === true,
    quiet: values.quiet === true,
  };
  if (options.imageSize !== undefined) checkImageSize(options.imageSize, builds, problems);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return { help: false, options };
}

/**
 * The builds named by `--generation`, in the order given. `A` and `seed` follow `--packet-size`
 * (WiFi build by default); B has one build; C follows `--packet-size` (1460 by default).
 */
function parseGenerations(list: string, packetSize: number | undefined, problems: string[]): SimBuild[] {
  const ethernet = packetSize === 1460;
  const builds: SimBuild[] = [];
  for (const raw of list.split(',')) {
    const name = raw.trim();
    switch (name.toLowerCase()) {
      case 'a':
        builds.push(ethernet ? FIRMWARE.A_ETHERNET : FIRMWARE.A_WIFI);
        break;
      case 'seed':
        builds.push(ethernet ? FIRMWARE.SEED_ETHERNET : FIRMWARE.SEED_WIFI);
        break;
      case 'c':
        builds.push(generationC(packetSize));
        break;
      case 'b':
        if (packetSize === 1024) {
          problems.push('--packet-size 1024 with generation B: the burst firmware always sends P = 1460');
        }
        builds.push(FIRMWARE.B);
        break;
      default: {
        const exact = Object.values(FIRMWARE).find(
          (build) => build.name.toLowerCase() === name.toLowerCase(),
        );
        if (exact && packetSize !== undefined && exact.maxPacketSize !== packetSize) {
          problems.push(
            `--generation ${name} sends P = ${exact.maxPacketSize}, not --packet-size ${packetSize}`,
          );
        }
        if (exact) builds.push(exact);
        else {
          problems.push(
            `--generation "${name}": expected A, B, seed or C (or A-wifi, A-ethernet, A-ethernet-spi2, seed-wifi, seed-ethernet), comma-separated`,
          );
        }
      }
    }
  }
  return builds;
}

/** `auto`, or the IP address every device binds. */
function parseBind(text: string | undefined, problems: string[]): string {
  if (text === undefined || text === 'auto') return 'auto';
  if (isIP(text) === 0) problems.push(`--bind "${text}": expected auto or an IP address of this host`);
  return text;
}

/** `host:port`, `[v6 address]:port`, or a host alone (port 44444). */
function parseTarget(text: string | undefined, problems: string[]): TargetOption {
  if (text === undefined) return DEFAULT_TARGET;
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(text.trim());
  const port = match?.[3] === undefined ? DEFAULT_TARGET.port : Number(match[3]);
  if (!match || !(port >= 1 && port <= 65_535)) {
    problems.push(
      `--target "${text}": expected host:port with a port from 1 to 65535 (e.g. 127.0.0.1:44444)`,
    );
    return DEFAULT_TARGET;
  }
  return { host: match[1] ?? match[2]!, port };
}

/**
 * A synthetic image must hold the JPEG markers, fit in 255 packets of every build in use, and, for
 * the deployed firmware, not be an exact multiple of P-8: it then never sends its last packet
 * (known bug), so the upload could never complete. Generation C sends such an image whole.
 */
function checkImageSize(size: number, builds: readonly SimBuild[], problems: string[]): void {
  if (size < 22) problems.push(`--size ${size}: a synthetic JPEG has at least 22 bytes`);
  for (const packetSize of new Set(builds.map((build) => build.maxPacketSize))) {
    const payload = packetSize - 8;
    const deployed = builds.some((build) => build.maxPacketSize === packetSize && build.generation !== 'C');
    if (size > 255 * payload) {
      problems.push(
        `--size ${size}: at P = ${packetSize} an image has at most 255 × ${payload} = ${255 * payload} bytes`,
      );
    } else if (deployed && size % payload === 0) {
      problems.push(
        `--size ${size} is an exact multiple of ${payload} (P-8 at P = ${packetSize}): the deployed firmware never ` +
          'sends the last packet of such an image (known bug); choose another size',
      );
    }
  }
}

/** Reads typed option values, collecting every problem instead of stopping at the first. */
class OptionReader {
  constructor(
    private readonly values: Record<string, string | boolean | undefined>,
    private readonly problems: string[],
  ) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
      this.problems.push(`--${name} "${text}": expected an integer from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  probability(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !(value >= 0 && value <= 1)) {
      this.problems.push(`--${name} "${text}": expected a probability from 0 to 1 (e.g. 0.05)`);
      return undefined;
    }
    return value;
  }

  positiveNumber(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !(value > 0 && Number.isFinite(value))) {
      this.problems.push(`--${name} "${text}": expected a positive number (e.g. 0.1)`);
      return undefined;
    }
    return value;
  }

  /** A factor (`0.1`) or factors per generation (`A=0.2,B=1`). */
  timeScale(name: string): TimeScale | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!text.includes('=')) return this.positiveNumber(name);
    const scales: Partial<Record<SimGeneration, number>> = {};
    for (const entry of text.split(',')) {
      const [key = '', value = ''] = entry.split('=').map((part) => part.trim());
      const generation = GENERATION_NAMES[key.toLowerCase()];
      const factor = Number(value);
      if (generation === undefined || value === '' || !(factor > 0 && Number.isFinite(factor))) {
        this.problems.push(
          `--${name} "${text}": expected a positive number, or generation=factor pairs (e.g. A=0.2,B=1)`,
        );
        return undefined;
      }
      scales[generation] = factor;
    }
    return scales;
  }

  choice<T extends number>(name: string, allowed: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = allowed.find((each) => String(each) === text.trim());
    if (value === undefined) this.problems.push(`--${name} "${text}": expected ${allowed.join(' or ')}`);
    return value;
  }
}
