import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CLOCK, type Clock } from '../common/clock.js';
import { LiveEvents, type LiveEvent } from './live-events.js';

/** A comment line every so often keeps proxies and browsers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/** How long a browser waits before reconnecting (the `retry` field). */
const RECONNECT_MS = 2000;

/** A client that lets this much pile up unread is cut off (it reconnects and catches up). */
const MAX_UNREAD_BYTES = 1024 * 1024;

@ApiTags('live')
@Controller('api/events')
export class LiveController {
  constructor(
    private readonly live: LiveEvents,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Server-Sent Events: image.stored, image.analysed, device.seen',
    description:
      'Each event carries the summary of an image (as an item of GET /api/images) or of a device (as in GET ' +
      '/api/devices). Reconnect with Last-Event-ID to get what was missed; a `reset` event means some was ' +
      'lost: reload.',
  })
  @ApiProduces('text/event-stream')
  @ApiQuery({
    name: 'lastEventId',
    required: false,
    description:
      'As the Last-Event-ID header, for a first connection (a page goes on from the events it was built with).',
  })
  @ApiOkResponse({ description: 'An endless text/event-stream.' })
  stream(
    @Req() request: IncomingMessage,
    @Res() response: ServerResponse,
    @Headers('last-event-id') lastEventHeader: string | undefined,
    @Query('lastEventId') lastEventQuery: string | undefined,
  ): void {
    const lastEventId = lastEventHeader ?? (typeof lastEventQuery === 'string' ? lastEventQuery : undefined);
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    response.flushHeaders();
    response.socket?.setNoDelay(true);
    response.write(`retry: ${RECONNECT_MS}\n\n`);
    const send = (event: LiveEvent): void => {
      if (response.writableLength > MAX_UNREAD_BYTES) {
        response.destroy();
        return;
      }
      response.write(event.frame);
    };
    const subscription = this.live.subscribe(send, lastEventId);
    if (!subscription.complete) response.write('event: reset\ndata: {}\n\n');
    for (const event of subscription.missed) send(event);
    const heartbeat = this.clock.setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
    request.on('close', () => {
      heartbeat.cancel();
      subscription.unsubscribe();
    });
  }
}
