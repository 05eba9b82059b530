import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { PipeDecoder } from './testing/pipe-decoder.js';
import { RecordingLogger } from './testing/recording-logger.js';
import { UdpProbe } from './testing/udp-probe.js';
import { UdpContext } from './udp-context.js';
import { UdpDropReason, UdpStatus } from './udp-events.js';
import { UdpServer } from './udp-server.js';
import { UDP_TRANSPORT } from './udp-transport.id.js';

const notes: string[] = [];
let lastContext: UdpContext | undefined;

@Controller()
class EchoController {
  @MessagePattern('echo')
  echo(@Payload() data: Buffer, @Ctx() context: UdpContext): Buffer {
    lastContext = context;
    return data;
  }

  @MessagePattern('later', UDP_TRANSPORT)
  async later(@Payload() data: Buffer): Promise<Buffer[]> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return [data, Buffer.from('done')];
  }

  @MessagePattern('fail')
  fail(): Buffer {
    throw new Error('controller failure');
  }

  @MessagePattern('refuse')
  refuse(): Buffer {
    throw new RpcException('refused');
  }

  @EventPattern('note')
  note(@Payload() data: Buffer): void {
    notes.push(data.toString());
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

describe('UdpServer as the strategy of a Nest microservice', () => {
  let app: INestMicroservice;
  let server: UdpServer;
  let probe: UdpProbe;
  let port: number;

  before(async () => {
    server = new UdpServer({
      host: '127.0.0.1',
      port: 0,
      decoder: new PipeDecoder(),
      logger: new RecordingLogger(),
    });
    app = await NestFactory.createMicroservice(EchoModule, { strategy: server, logger: false });
    await app.listen();
    port = app.unwrap<Socket>().address().port;
    probe = await UdpProbe.open();
  });

  after(async () => {
    await app.close();
    await probe.close();
  });

  it('routes a datagram to the @MessagePattern handler, with a UdpContext, and answers with its bytes', async () => {
    const reply = await probe.ask('echo|hello', port);
    assert.equal(reply.datagram.toString(), 'hello');
    assert.ok(lastContext instanceof UdpContext);
    assert.equal(lastContext.remoteKey, `127.0.0.1:${probe.socket.address().port}`);
    assert.equal(lastContext.localAddress, '127.0.0.1');
    assert.equal(lastContext.pattern, 'echo');
  });

  it('awaits an async handler and sends each Buffer it returns', async () => {
    await probe.send('later|x', port);
    assert.equal((await probe.receive()).datagram.toString(), 'x');
    assert.equal((await probe.receive()).datagram.toString(), 'done');
  });

  it('answers nothing when a handler throws, and keeps serving', async () => {
    await probe.send('fail|', port);
    await probe.send('refuse|', port);
    await probe.expectSilence();
    assert.equal(server.dropCounts().get(UdpDropReason.HANDLER_ERROR), 2);
    assert.equal((await probe.ask('echo|again', port)).datagram.toString(), 'again');
  });

  it('delivers @EventPattern datagrams without answering', async () => {
    await probe.send('note|seen', port);
    await probe.expectSilence();
    assert.deepEqual(notes, ['seen']);
  });

  it('exposes the status, the socket and the events through the application', async () => {
    assert.equal(await firstValueFrom(app.status), UdpStatus.CONNECTED);
    assert.equal(app.unwrap<Socket>(), server.unwrap<Socket>());
    const rejected: string[] = [];
    app.on('rejected', (reason: string) => rejected.push(reason));
    await probe.send('garbage', port);
    await probe.expectSilence();
    assert.deepEqual(rejected, ['no-separator']);
  });
});
