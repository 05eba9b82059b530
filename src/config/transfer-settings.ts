import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsString, Max, Min, MinLength } from 'class-validator';
import { DATA_HEADER_BYTES, MAX_MISSING_PER_REPLY, MAX_PACKET_COUNT, MAX_UDP_PAYLOAD_BYTES } from '#protocol';
import { Setting } from './setting.decorator.js';
import { parseBoolean, parseInteger } from './setting-values.js';
import { NetworkSettings } from './network-settings.js';

/** Settings: where images go and the limits and timings of transfers. */
export class TransferSettings extends NetworkSettings {
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
    description:
      'An accepted transfer that has received no data for this many milliseconds goes dormant: it stops counting ' +
      "against MAX_TRANSFERS, and its device's next packet wakes it (generation A never asks again once accepted).",
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  ACCEPTED_TIMEOUT_MS = 15_000;

  @Setting({
    accepts: 'an integer from 100 to 3600000',
    description:
      'A transfer in progress that receives nothing for this many milliseconds goes dormant, keeping what it received. ' +
      'Generation A resends every 5.1 to 6 s.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  RECEIVING_TIMEOUT_MS = 60_000;

  @Setting({
    accepts: 'an integer from 1000 to 86400000',
    description:
      'How long a dormant transfer is kept for its device to come back, at most; the oldest are given up first ' +
      'when their memory is needed.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  DORMANT_TRANSFER_TTL_MS = 600_000;

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
    accepts: 'an integer from 0 to 900',
    description:
      "The accept of a device's next image leaves at least this many milliseconds after the last positive answer " +
      'about its previous one, so that a late copy of an old answer reaches the camera while it waits for the accept ' +
      "(and is skipped) rather than during the next image. Below generation B's 1000 ms request timeout.",
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(900)
  ACCEPT_HOLD_MS = 250;

  @Setting({
    accepts: 'an integer from 0 to 1000',
    description:
      "A datagram repeating the device's previous one within this many milliseconds, with nothing in between, is a " +
      "copy the network made: it gets no second answer. Below generation B's 1100 ms retry interval.",
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(1000)
  DUPLICATE_WINDOW_MS = 500;

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
}
