import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsIP, IsNumber, Max, Min } from 'class-validator';
import { Setting } from './setting.decorator.js';
import { parseBoolean, parseNumber, parseInteger } from './setting-values.js';

/** Settings: the UDP and HTTP sockets. */
export class NetworkSettings {
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
}
