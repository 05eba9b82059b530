import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsIP,
  IsNumber,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { DATA_HEADER_BYTES, MAX_MISSING_PER_REPLY, MAX_PACKET_COUNT, MAX_UDP_PAYLOAD_BYTES } from '#protocol';
import { Setting } from './setting.decorator.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const INFERENCE_BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type InferenceBackendChoice = (typeof INFERENCE_BACKENDS)[number];

const LOG_FORMATS = ['json', 'pretty', 'auto'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Reads "true"/"false" (and 1/0, yes/no); anything else stays a string and fails validation. */
function parseBoolean({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no'].includes(normalised)) return false;
  return value;
}

/** Reads a decimal number strictly: "0.6" but not "0.6x" or "". */
function parseNumber({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  return /^\s*-?(\d+\.?\d*|\.\d+)\s*$/.test(value) ? Number(value) : value;
}

/** Reads a whole number strictly: "12abc" and "" stay strings and fail validation. */
function parseInteger({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  return /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
}

/**
 * Every setting of the gateway, read from environment variables, with its default.
 * One property a variable; the README's configuration table is checked against this class.
 */
export class Environment {
  @Setting({ accepts: 'an IPv4 or IPv6 address', description: 'Address the UDP socket binds to.' })
  @IsIP()
  UDP_HOST = '0.0.0.0';

  @Setting({
    accepts: 'an integer from 0 to 65535 (0: any free port)',
    description: 'UDP port the cameras send to; the deployed firmware is built for 44444.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  UDP_PORT = 44444;

  @Setting({
    accepts: 'true or false',
    description:
      'Bind one UDP socket per local IPv4 address so each reply leaves from the address the camera sent to ' +
      '(needed on multi-homed hosts: the Ethernet firmware ignores replies from any other address).',
  })
  @Transform(parseBoolean)
  @IsBoolean()
  UDP_BIND_EACH_ADDRESS = false;

  @Setting({
    accepts: 'an IPv4 or IPv6 address',
    description: 'Address of the HTTP server (health, metrics, pages, API).',
  })
  @IsIP()
  HTTP_HOST = '0.0.0.0';

  @Setting({
    accepts: 'an integer from 0 to 65535 (0: any free port)',
    description: 'Port of the HTTP server.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  HTTP_PORT = 3000;

  @Setting({
    accepts: 'a number of milliseconds from 0.1 to 1000',
    description:
      'Event-loop time one batch of HTTP requests may take; the requests beyond wait for a later turn of the loop, ' +
      'so that the loop answering the cameras runs in between (health and metrics never wait).',
  })
  @Transform(parseNumber)
  @IsNumber()
  @Min(0.1)
  @Max(1000)
  HTTP_BATCH_MS = 2;

  @Setting({
    accepts: 'a number from 0.05 to 1',
    description:
      "Most of the event loop's time HTTP requests take while they queue; the rest is left idle for the cameras " +
      '(1: batches one after the other).',
  })
  @Transform(parseNumber)
  @IsNumber()
  @Min(0.05)
  @Max(1)
  HTTP_LOOP_SHARE = 0.5;

  @Setting({
    accepts: 'a directory path',
    description: 'Where received images and their JSON sidecars are stored.',
  })
  @IsString()
  @MinLength(1)
  STORAGE_DIR = './data/images';

  @Setting({
    accepts: 'an integer from 1 to 16702245',
    description:
      'Largest image accepted (N × (P-8), or S when sent). The default takes every image the deployed firmware can send ' +
      '(255 × 1452 = 370260 bytes).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_PACKET_COUNT * (MAX_UDP_PAYLOAD_BYTES - DATA_HEADER_BYTES))
  MAX_IMAGE_BYTES = 512 * 1024;

  @Setting({
    accepts: 'an integer from 9 to 65507',
    description: 'Smallest packet size P (data header included) an upload request may announce.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(DATA_HEADER_BYTES + 1)
  @Max(MAX_UDP_PAYLOAD_BYTES)
  MIN_PACKET_BYTES = 16;

  @Setting({
    accepts: 'an integer from 9 to 65507',
    description:
      'Largest packet size P (data header included) an upload request may announce; 1472 fills an Ethernet frame.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(DATA_HEADER_BYTES + 1)
  @Max(MAX_UDP_PAYLOAD_BYTES)
  MAX_PACKET_BYTES = 1472;

  @Setting({
    accepts: 'an integer from 1 to 100000',
    description: 'Transfers in progress at once, all devices.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_TRANSFERS = 1024;

  @Setting({
    accepts: 'an integer from 0 to 100000 (0: no limit)',
    description:
      'Transfers in progress at once from one IP address. Off by default: behind NAT many cameras share an address.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(100_000)
  MAX_TRANSFERS_PER_IP = 0;

  @Setting({
    accepts: 'an integer from 65536 to 17179869184',
    description:
      'Image bytes held in memory for reassembly, all transfers together; past it new data is refused (busy).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(64 * 1024)
  @Max(16 * 1024 ** 3)
  MAX_REASSEMBLY_BYTES = 256 * 1024 ** 2;

  @Setting({
    accepts: 'an integer from 100 to 3600000',
    description: 'An accepted transfer that has received no data expires after this many milliseconds.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  ACCEPTED_TIMEOUT_MS = 15_000;

  @Setting({
    accepts: 'an integer from 100 to 3600000',
    description:
      'A transfer in progress that receives nothing for this many milliseconds expires. Generation A resends every 6 s.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  RECEIVING_TIMEOUT_MS = 60_000;

  @Setting({
    accepts: 'an integer from 0 to 3600000',
    description:
      'How long a completed transfer is remembered (without its payload) to answer late duplicates the same way.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  COMPLETED_RECORD_TTL_MS = 120_000;

  @Setting({
    accepts: 'an integer from 1 to 28',
    description:
      'Most missing indices listed in one reply to an end of transfer (the firmware reads 32 bytes).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_MISSING_PER_REPLY)
  MISSING_PER_REPLY = MAX_MISSING_PER_REPLY;

  @Setting({
    accepts: 'an integer from 1 to 1000',
    description:
      'How long the first data packet of a device not seen before waits for a next datagram to tell burst firmware ' +
      '(generation B: no per-packet ACK) from stop-and-wait firmware (generation A: ACK each packet).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  FLOW_PROBE_MS = 40;

  @Setting({
    accepts: 'an integer from 1 to 100000',
    description:
      'Refusals and NACKs sent to one IP address per second (bursts of twice as many); the rest are dropped.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(100_000)
  REFUSALS_PER_SECOND = 50;

  @Setting({
    accepts: 'true or false',
    description:
      'Keep every acknowledged packet of transfers in flight in a spool under STORAGE_DIR/.spool, so a restarted ' +
      'gateway resumes them (survives a crash or redeploy, not a power cut).',
  })
  @Transform(parseBoolean)
  @IsBoolean()
  SPOOL_ENABLED = true;

  @Setting({
    accepts: 'true or false',
    description:
      'Classify every stored image. false: run without a model (every result says analysis unavailable).',
  })
  @Transform(parseBoolean)
  @IsBoolean()
  ANALYSIS_ENABLED = true;

  @Setting({
    accepts: 'a directory path',
    description:
      'TensorFlow.js model to load while MODELS_DIR records no choice: model.json, its weight shards, and labels ' +
      '(metadata.json or labels.json).',
  })
  @IsString()
  @MinLength(1)
  MODEL_DIR = './models/default';

  @Setting({
    accepts: 'a directory path',
    description:
      'The models to choose from, one folder each (model, metadata, report), and the record of the active and ' +
      'shadow ones (active.json), kept across restarts. MODEL_DIR is listed too when it lies outside.',
  })
  @IsString()
  @MinLength(1)
  MODELS_DIR = './models';

  @Setting({
    accepts: 'auto, tensorflow, wasm or cpu',
    description:
      'Inference backend. auto: tfjs-node when installed, else WebAssembly, else plain JavaScript.',
  })
  @IsIn(INFERENCE_BACKENDS)
  INFERENCE_BACKEND: InferenceBackendChoice = 'auto';

  @Setting({
    accepts: 'an integer from 1 to 64',
    description:
      'Worker threads of the classifier process that run the model (images are decoded beside them, two at a time).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(64)
  CLASSIFIER_WORKERS = 1;

  @Setting({
    accepts: 'an integer from 1 to 100000',
    description:
      'Fresh images waiting for the classifier, at most; past it images stay pending on disk and are picked up when the queue drains.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(100_000)
  CLASSIFIER_QUEUE_MAX = 256;

  @Setting({
    accepts: 'an integer from 1 to 64',
    description: 'Most images a worker classifies in one batch.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(64)
  CLASSIFIER_BATCH_MAX = 8;

  @Setting({
    accepts: 'an integer from 0 to 19 (0: leave priorities alone)',
    description:
      'Niceness of the classifier process, every one of its threads (workers, decodes), so that the gateway, whose ' +
      'event loop answers the cameras, gets the cores first. Linux only.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(19)
  BACKGROUND_THREADS_NICE = 10;

  @Setting({
    accepts: 'true or false',
    description:
      "Run the classifier process under Linux's SCHED_IDLE policy (set with chrt): it gets only the CPU time " +
      'the gateway and every other process leave, and yields it at once to any of them that wakes. false: its ' +
      'niceness alone.',
  })
  @Transform(parseBoolean)
  @IsBoolean()
  CLASSIFIER_IDLE_POLICY = true;

  @Setting({
    accepts: 'comma-separated labels',
    description: 'Labels that mean the cable is good (verdict pass); every other label is a defect.',
  })
  @IsString()
  @MinLength(1)
  PASS_LABELS = 'good';

  @Setting({
    accepts: 'a number from 0 to 1',
    description: 'A best score under this gives the verdict uncertain instead of pass or defect.',
  })
  @Transform(parseNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  CONFIDENCE_THRESHOLD = 0.6;

  @Setting({
    accepts: 'a number from 0 to 1',
    description:
      'Share of the passed images the review queue asks a person about, after every uncertain one and every ' +
      'defect (false passes are the costly mistakes); the same images every time (picked by their id).',
  })
  @Transform(parseNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  REVIEW_PASS_SAMPLE = 0.1;

  @Setting({
    accepts: 'an integer from 10 to 600000',
    description:
      'First interval before an unconfirmed analysis result is sent again; it doubles at each try.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(10)
  @Max(600_000)
  RESULT_RETRY_MS = 500;

  @Setting({
    accepts: 'an integer from 1 to 100',
    description: 'Times an analysis result is sent, at most, while the device does not confirm it.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(100)
  RESULT_MAX_ATTEMPTS = 5;

  @Setting({
    accepts: 'an integer from 0 to 3650',
    description:
      'At start-up, stored images of this many recent days that have no analysis yet are classified (0: none).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(3650)
  ANALYSIS_BACKLOG_DAYS = 7;

  @Setting({
    accepts: 'an integer from 100 to 1000000',
    description:
      'Newest stored images the pages and the API answer from, kept in memory (read from their sidecars at ' +
      'start-up, then kept up to date as images arrive and are analysed).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(100)
  @Max(1_000_000)
  RESULTS_INDEX_MAX = 10_000;

  @Setting({
    accepts: 'letters, digits, dots, dashes and underscores, at most 64 (empty: the host name)',
    description: 'Names this gateway in MQTT topics, its MQTT client id and the results it publishes.',
  })
  @Matches(/^[0-9A-Za-z._-]{0,64}$/)
  GATEWAY_ID = '';

  @Setting({
    accepts: 'an mqtt:// or mqtts:// URL (empty: off)',
    description:
      'MQTT broker the analysed results are published to (QoS 1, through the durable outbox under ' +
      'STORAGE_DIR/.outbox). Empty: no MQTT.',
  })
  @Matches(/^(mqtts?:\/\/[^\s/]+(\/.*)?)?$/)
  MQTT_URL = '';

  @Setting({ accepts: 'a string', description: 'User name for the MQTT broker (empty: none).' })
  @IsString()
  MQTT_USERNAME = '';

  @Setting({ accepts: 'a string', description: 'Password for the MQTT broker (empty: none).' })
  @IsString()
  MQTT_PASSWORD = '';

  @Setting({
    accepts: 'a file path (empty: the system CAs)',
    description: 'PEM file of the certificate authorities an mqtts:// broker is checked against.',
  })
  @IsString()
  MQTT_CA_FILE = '';

  @Setting({
    accepts: 'MQTT topic levels without wildcards, at most 128 characters',
    description:
      'First levels of every topic: <prefix>/devices/<device>/result, <prefix>/devices/<device>/state, ' +
      '<prefix>/gateway/<gateway id>/status.',
  })
  @Matches(/^[^+#/\s](?:[^+#\s]*[^+#/\s])?$/)
  @MaxLength(128)
  MQTT_TOPIC_PREFIX = 'cable-inspector';

  @Setting({
    accepts: 'an integer from 65536 to 1073741824',
    description:
      'Largest size of the outbox of results not yet delivered (MQTT and webhook); past it the oldest are ' +
      'dropped, counted and logged.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(64 * 1024)
  @Max(1024 ** 3)
  MQTT_OUTBOX_MAX_BYTES = 16 * 1024 ** 2;

  @Setting({
    accepts: 'an http:// or https:// URL (empty: off)',
    description:
      'Every analysed result is POSTed there as JSON (the MQTT payload), in order, retried from the outbox ' +
      'until answered 2xx. Empty: no webhook.',
  })
  @Matches(/^(https?:\/\/[^\s/]+(\/\S*)?)?$/)
  RESULT_WEBHOOK_URL = '';

  @Setting({
    accepts: 'an integer from 100 to 600000',
    description: 'How long one webhook request may take before it counts as failed and is retried.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  RESULT_WEBHOOK_TIMEOUT_MS = 10_000;

  @Setting({
    accepts: 'an integer from 10 to 600000',
    description:
      'First wait before reconnecting to the MQTT broker or retrying the webhook; it doubles at each failure.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(10)
  @Max(600_000)
  DELIVERY_RETRY_MIN_MS = 500;

  @Setting({
    accepts: 'an integer from 10 to 3600000',
    description: 'Longest wait between two MQTT connection attempts or two webhook retries.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  DELIVERY_RETRY_MAX_MS = 30_000;

  @Setting({
    accepts: 'json, pretty or auto',
    description:
      'Log format: one JSON object a line, or readable lines. auto: json when NODE_ENV=production.',
  })
  @IsIn(LOG_FORMATS)
  LOG_FORMAT: LogFormat = 'auto';

  @Setting({
    accepts: 'an integer from 0 to 3600000',
    description:
      'On SIGTERM, how long transfers in progress may take to finish before the gateway closes anyway.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  SHUTDOWN_GRACE_MS = 10_000;

  @Setting({
    accepts: 'an integer from 0 upwards',
    description: 'Readiness fails when the storage file system has less free space than this many bytes.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  MIN_FREE_DISK_BYTES = 100 * 1024 ** 2;

  @Setting({ accepts: LOG_LEVELS.join(', '), description: 'Most verbose log level written.' })
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';
}
