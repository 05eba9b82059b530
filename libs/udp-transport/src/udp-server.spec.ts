import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MessageHandler } from '@nestjs/microservices';
import { of } from 'rxjs';
import { UdpBindError } from './errors/udp-bind.error.js';
import { UdpHandlerError } from './errors/udp-handler.error.js';
import { UdpServerStateError } from './errors/udp-server-state.error.js';
import { localIPv4Addresses } from './local-addresses.js';
import { PipeDecoder } from './testing/pipe-decoder.js';
import { RecordingLogger } from './testing/recording-logger.js';
import { UdpProbe } from './testing/udp-probe.js';
import type { UdpContext } from './udp-context.js';
import { UdpDropReason, UdpStatus } from './udp-events.js';
import { UdpServer } from './udp-server.js';
import type { UdpServerOptions } from './udp-server-options.js';

/** Registers a plain function as a handler (Nest types handlers as returning promises). */
function handler(fn: (data: Buffer, context: UdpContext) => unknown): MessageHandler {
  return fn as MessageHandler;
}

function listen(server: UdpServer): Promise<unknown> {
  return new Promise((resolve) => server.listen((error?: unknown) => resolve(error)));
}

function portOf(server: UdpServer): number {
  return server.unwrap<Socket>().address().port;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('UdpServer over a socket on 127.0.0.1', () => {
  let server: UdpServer;
  let logger: RecordingLogger;
  let probe: UdpProbe;
  let port: number;

  async function start(options: Partial<UdpServerOptions> = {}): Promise<void> {
    logger = new RecordingLogger();
    server = new UdpServer({ host: '127.0.0.1', port: 0, decoder: new PipeDecoder(), logger, ...options });
    server.addHandler(
      'echo',
      handler((data) => data),
    );
    assert.equal(await listen(server), undefined);
    port = portOf(server);
  }

  beforeEach(async () => {
    probe = await UdpProbe.open();
  });

  afterEach(async () => {
    await server?.close();
    await probe.close();
  });

  describe('replies', () => {
    it('sends back the exact bytes the handler returns, from the port it listens on', async () => {
      await start();
      server.addHandler(
        'ack',
        handler(() => Buffer.from([1, 99, 2, 0, 0, 0, 0, 0, 4])),
      );
      const reply = await probe.ask('ack|', port);
      assert.deepEqual(reply.datagram, Buffer.from([1, 99, 2, 0, 0, 0, 0, 0, 4]));
      assert.equal(reply.remote.address, '127.0.0.1');
      assert.equal(reply.remote.port, port);
    });

    it('sends the replies of one turn together, once every datagram the socket had ready is handled', async () => {
      await start();
      const order: string[] = [];
      server.addHandler(
        'turn',
        handler((data) => {
          order.push(`handled ${data.toString()}`);
          return data;
        }),
      );
      const socket = server.unwrap<Socket>();
      const send = socket.send.bind(socket) as (...args: unknown[]) => void;
      (socket as unknown as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
        order.push(`sent ${(args[0] as Buffer).toString()}`);
        send(...args);
      };
      await probe.send('turn|1', port);
      await probe.send('turn|2', port);
      // Both datagrams wait in the kernel while the loop is held: the next turn reads them together.
      const heldUntil = Date.now() + 30;
      while (Date.now() < heldUntil);
      await probe.receive();
      await probe.receive();
      assert.deepEqual(order, ['handled 1', 'handled 2', 'sent 1', 'sent 2']);
    });

    it('hands the handler the decoded payload and a context describing the datagram', async () => {
      await start();
      let seen: { data: Buffer; context: UdpContext } | undefined;
      server.addHandler(
        'inspect',
        handler((data, context) => {
          seen = { data, context };
        }),
      );
      await probe.send('inspect|\u0001\u0002', port);
      await probe.expectSilence();
      assert.ok(seen);
      assert.deepEqual(seen.data, Buffer.from([1, 2]));
      assert.equal(seen.context.pattern, 'inspect');
      assert.deepEqual(seen.context.datagram, Buffer.from('inspect|\u0001\u0002'));
      assert.equal(seen.context.remoteAddress, '127.0.0.1');
      assert.equal(seen.context.remotePort, probe.socket.address().port);
      assert.equal(seen.context.family, 'IPv4');
      assert.equal(seen.context.localAddress, '127.0.0.1');
      assert.equal(seen.context.remoteKey, `127.0.0.1:${probe.socket.address().port}`);
    });

    it('emits sent with each datagram and its destination', async () => {
      await start();
      const sent: string[] = [];
      server.on('sent', (datagram, address, destination) =>
        sent.push(`${Buffer.from(datagram).toString()} to ${address}:${destination}`),
      );
      await probe.ask('echo|abc', port);
      assert.deepEqual(sent, [`abc to 127.0.0.1:${probe.socket.address().port}`]);
    });

    it('sends every Buffer of an array, in order', async () => {
      await start();
      server.addHandler(
        'many',
        handler(() => [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')]),
      );
      await probe.send('many|abcdef', port);
      const replies = [await probe.receive(), await probe.receive(), await probe.receive()];
      assert.deepEqual(
        replies.map((reply) => reply.datagram.toString()),
        ['one', 'two', 'three'],
      );
    });

    it('sends nothing for undefined or null', async () => {
      await start();
      server.addHandler(
        'nothing',
        handler(() => undefined),
      );
      server.addHandler(
        'null',
        handler(() => null),
      );
      await probe.send('nothing|', port);
      await probe.send('null|', port);
      await probe.expectSilence();
      assert.equal(server.dropCounts().size, 0);
    });

    it('waits for an async handler', async () => {
      await start();
      server.addHandler(
        'slow',
        handler(async (data) => {
          await delay(30);
          return Buffer.concat([Buffer.from('late:'), data]);
        }),
      );
      assert.equal((await probe.ask('slow|x', port)).datagram.toString(), 'late:x');
    });

    it('sends every value of an Observable', async () => {
      await start();
      server.addHandler(
        'stream',
        handler(() => of(Buffer.from('a'), Buffer.from('b'))),
      );
      await probe.send('stream|xyz', port);
      assert.equal((await probe.receive()).datagram.toString(), 'a');
      assert.equal((await probe.receive()).datagram.toString(), 'b');
    });

    it('does not hold one peer back while another one waits for a slow handler', async () => {
      await start();
      server.addHandler(
        'slow',
        handler(async () => {
          await delay(300);
          return Buffer.from('slow');
        }),
      );
      const other = await UdpProbe.open();
      try {
        await other.send('slow|', port);
        const started = performance.now();
        assert.equal((await probe.ask('echo|fast', port)).datagram.toString(), 'fast');
        assert.ok(performance.now() - started < 250);
        assert.equal((await other.receive()).datagram.toString(), 'slow');
      } finally {
        await other.close();
      }
    });

    it('calls an event handler and never answers it', async () => {
      await start();
      const events: string[] = [];
      server.addHandler(
        'confirm',
        handler((data) => {
          events.push(data.toString());
          return Buffer.from('ignored');
        }),
        true,
      );
      await probe.send('confirm|4', port);
      await probe.expectSilence();
      assert.deepEqual(events, ['4']);
    });
  });

  describe('what it drops', () => {
    it('drops what the decoder rejects without answering, counted by reason', async () => {
      await start();
      const rejected: string[] = [];
      server.on('rejected', (reason, remote) => rejected.push(`${reason} from ${remote.address}`));
      await probe.send(Buffer.alloc(0), port);
      await probe.send('garbage', port);
      await probe.send('more garbage', port);
      await probe.send('|payload', port);
      await probe.expectSilence();
      assert.deepEqual(
        server.rejectionCounts(),
        new Map([
          ['empty', 1],
          ['no-separator', 2],
          ['no-pattern', 1],
        ]),
      );
      assert.deepEqual(rejected, [
        'empty from 127.0.0.1',
        'no-separator from 127.0.0.1',
        'no-separator from 127.0.0.1',
        'no-pattern from 127.0.0.1',
      ]);
      assert.deepEqual(
        logger.entries.map((entry) => entry.level),
        ['log'],
        'nothing logged but the listening line',
      );
    });

    it('counts a pattern without a handler as unroutable and does not answer', async () => {
      await start();
      const dropped: string[] = [];
      server.on('dropped', (reason, address) => dropped.push(`${reason} ${address}`));
      await probe.send('nobody-home|', port);
      await probe.expectSilence();
      assert.deepEqual(server.dropCounts(), new Map([[UdpDropReason.UNROUTABLE, 1]]));
      assert.deepEqual(dropped, ['unroutable 127.0.0.1']);
    });

    it('survives a handler that throws: no answer, counted, reported, later datagrams answered', async () => {
      await start();
      server.addHandler(
        'explode',
        handler(() => {
          throw new Error('kaboom');
        }),
      );
      const errors: Error[] = [];
      server.on('error', (error) => errors.push(error));
      await probe.send('explode|', port);
      await probe.expectSilence();
      assert.equal((await probe.ask('echo|still here', port)).datagram.toString(), 'still here');
      assert.equal(server.dropCounts().get(UdpDropReason.HANDLER_ERROR), 1);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof UdpHandlerError);
      assert.equal(errors[0].pattern, 'explode');
      assert.match(logger.at('error')[0], /handler for "explode" failed .*kaboom/);
    });

    it('survives a handler that rejects', async () => {
      await start();
      server.addHandler(
        'reject',
        handler(async () => {
          throw new Error('no');
        }),
      );
      await probe.send('reject|', port);
      await probe.send('reject|', port);
      await probe.expectSilence();
      assert.equal((await probe.ask('echo|ok', port)).datagram.toString(), 'ok');
      assert.equal(server.dropCounts().get(UdpDropReason.HANDLER_ERROR), 2);
    });

    it('logs a repeating failure at power-of-two counts only', async () => {
      await start();
      server.addHandler(
        'reject',
        handler(async () => {
          throw new Error('no');
        }),
      );
      for (let sent = 0; sent < 5; sent++) await probe.send('reject|', port);
      await probe.expectSilence();
      assert.equal(server.dropCounts().get(UdpDropReason.HANDLER_ERROR), 5);
      assert.equal(logger.at('error').length, 3, 'failures 1, 2 and 4');
    });

    it('survives a decoder that throws', async () => {
      const decoder = new PipeDecoder();
      await start({
        decoder: {
          decode: (datagram) => {
            if (datagram[0] === 0xff) throw new RangeError('decoder bug');
            return decoder.decode(datagram);
          },
        },
      });
      await probe.send(Buffer.from([0xff]), port);
      await probe.expectSilence();
      assert.equal(server.dropCounts().get(UdpDropReason.DECODER_ERROR), 1);
      assert.equal((await probe.ask('echo|fine', port)).datagram.toString(), 'fine');
    });

    it('refuses a handler result that is not bytes', async () => {
      await start();
      server.addHandler(
        'text',
        handler(() => 'not a buffer'),
      );
      await probe.send('text|', port);
      await probe.expectSilence();
      assert.equal(server.dropCounts().get(UdpDropReason.INVALID_REPLY), 1);
    });
  });

  describe('amplification limit', () => {
    it('drops a 100-byte reply to a 3-byte request', async () => {
      await start();
      server.addHandler(
        'a',
        handler(() => Buffer.alloc(100, 0x42)),
      );
      await probe.send('a|x', port);
      await probe.expectSilence();
      assert.equal(server.dropCounts().get(UdpDropReason.AMPLIFICATION_LIMIT), 1);
      assert.equal((await probe.ask('echo|next', port)).datagram.toString(), 'next');
    });

    it('allows exactly factor × the bytes received, datagram by datagram', async () => {
      await start();
      server.addHandler(
        'n',
        handler(() => [Buffer.alloc(9, 0x39), Buffer.alloc(1, 0x21)]),
      );
      const reply = await probe.ask('n|x', port);
      assert.deepEqual(reply.datagram, Buffer.alloc(9, 0x39));
      await probe.expectSilence();
      assert.equal(server.dropCounts().get(UdpDropReason.AMPLIFICATION_LIMIT), 1, 'the tenth byte');
    });

    it('earns no credit for datagrams the decoder rejects', async () => {
      await start();
      server.addHandler(
        'a',
        handler(() => Buffer.alloc(10, 0x42)),
      );
      for (let sent = 0; sent < 10; sent++) await probe.send('garbage', port);
      await probe.send('a|x', port);
      await probe.expectSilence();
      assert.equal(server.dropCounts().get(UdpDropReason.AMPLIFICATION_LIMIT), 1);
    });

    it('lets sendTo push to a peer within its budget and refuses an address never heard from', async () => {
      await start();
      await probe.ask('echo|ab', port); // 7 bytes in, 2 out: 19 left
      const probePort = probe.socket.address().port;
      assert.equal(await server.sendTo(Buffer.alloc(19, 1), probePort, '127.0.0.1'), true);
      assert.deepEqual((await probe.receive()).datagram, Buffer.alloc(19, 1));
      assert.equal(await server.sendTo(Buffer.alloc(1, 1), probePort, '127.0.0.1'), false);
      assert.equal(await server.sendTo(Buffer.alloc(1, 1), probePort, '127.0.0.2'), false);
      assert.equal(server.dropCounts().get(UdpDropReason.AMPLIFICATION_LIMIT), 2);
    });

    it('honours a larger amplificationFactor', async () => {
      await start({ amplificationFactor: 40 });
      server.addHandler(
        'a',
        handler(() => Buffer.alloc(100, 0x42)),
      );
      assert.equal((await probe.ask('a|x', port)).datagram.length, 100);
    });
  });

  describe('sendTo', () => {
    it('reports a send the system refuses as false, never as an exception', async () => {
      await start();
      await probe.ask('echo|0123456789', port);
      const errors: Error[] = [];
      server.on('error', (error) => errors.push(error));
      assert.equal(await server.sendTo(Buffer.from([1]), 0, '127.0.0.1'), false);
      assert.equal(server.dropCounts().get(UdpDropReason.SEND_ERROR), 1);
      assert.equal(errors.length, 1);
    });
    it('settles a send that a close interrupts', async () => {
      await start();
      await probe.ask('echo|0123456789', port);
      const sent = server.sendTo(Buffer.from([1]), probe.socket.address().port, '127.0.0.1');
      await server.close();
      assert.equal(await sent, false);
      assert.equal(server.dropCounts().get(UdpDropReason.NOT_LISTENING), 1);
    });
  });

  describe('lifecycle', () => {
    it('reports connected once bound and disconnected once closed', async () => {
      const statuses: string[] = [];
      server = new UdpServer({
        host: '127.0.0.1',
        port: 0,
        decoder: new PipeDecoder(),
        logger: new RecordingLogger(),
      });
      const subscription = server.status.subscribe((status) => statuses.push(status));
      await listen(server);
      await server.close();
      subscription.unsubscribe();
      assert.deepEqual(statuses, [UdpStatus.CONNECTED, UdpStatus.DISCONNECTED]);
    });

    it('emits listening with the bound addresses, and close', async () => {
      server = new UdpServer({
        host: '127.0.0.1',
        port: 0,
        decoder: new PipeDecoder(),
        logger: new RecordingLogger(),
      });
      const seen: string[] = [];
      server.on('listening', (addresses) => seen.push(`listening ${addresses[0].address}`));
      server.on('close', () => seen.push('close'));
      await listen(server);
      await server.close();
      assert.deepEqual(seen, ['listening 127.0.0.1', 'close']);
    });

    it('passes a bind error to the listen callback, once, when the port is taken', async () => {
      await start();
      const second = new UdpServer({ host: '127.0.0.1', port, decoder: new PipeDecoder(), logger });
      const statuses: string[] = [];
      second.status.subscribe((status) => statuses.push(status));
      let calls = 0;
      const error = await new Promise((resolve) =>
        second.listen((failure?: unknown) => {
          calls++;
          resolve(failure);
        }),
      );
      await delay(50);
      assert.equal(calls, 1);
      assert.ok(error instanceof UdpBindError);
      assert.equal(error.port, port);
      assert.match(error.message, /EADDRINUSE/);
      assert.deepEqual(statuses, [UdpStatus.DISCONNECTED]);
      assert.equal(
        (await probe.ask('echo|first still serves', port)).datagram.toString(),
        'first still serves',
      );
      await second.close();
    });

    it('can listen again after a failed bind', async () => {
      await start();
      const second = new UdpServer({ host: '127.0.0.1', port, decoder: new PipeDecoder(), logger });
      assert.ok((await listen(second)) instanceof UdpBindError);
      await server.close();
      assert.equal(await listen(second), undefined);
      await second.close();
    });

    it('refuses a second listen and a listen after close', async () => {
      await start();
      assert.ok((await listen(server)) instanceof UdpServerStateError);
      await server.close();
      assert.ok((await listen(server)) instanceof UdpServerStateError);
    });

    it('fails a listen that a close interrupts, and still calls back once', async () => {
      server = new UdpServer({
        host: '127.0.0.1',
        port: 0,
        decoder: new PipeDecoder(),
        logger: new RecordingLogger(),
      });
      const result = listen(server);
      await server.close();
      assert.ok((await result) instanceof Error);
    });

    it('closes idempotently, before listen as after', async () => {
      const idle = new UdpServer({ host: '127.0.0.1', port: 0, decoder: new PipeDecoder() });
      await idle.close();
      await idle.close();
      await start();
      const first = server.close();
      assert.equal(server.close(), first);
      await first;
      await server.close();
    });

    it('stops answering once closed', async () => {
      await start();
      await server.close();
      await probe.send('echo|anyone?', port);
      await probe.expectSilence();
    });

    it('drops the reply of a handler that finishes after close', async () => {
      await start();
      let finished = false;
      server.addHandler(
        'slow',
        handler(async () => {
          await delay(50);
          finished = true;
          return Buffer.from('too late');
        }),
      );
      await probe.send('slow|', port);
      await delay(10);
      await server.close();
      await delay(80);
      assert.equal(finished, true);
      assert.equal(server.dropCounts().get(UdpDropReason.NOT_LISTENING), 1);
    });

    it('unwraps to the dgram socket, which exists before listen', async () => {
      server = new UdpServer({
        host: '127.0.0.1',
        port: 0,
        decoder: new PipeDecoder(),
        logger: new RecordingLogger(),
      });
      const socket = server.unwrap<Socket>();
      assert.equal(typeof socket.send, 'function');
      await listen(server);
      assert.equal(server.unwrap<Socket>(), socket);
      assert.equal(socket.address().address, '127.0.0.1');
      assert.ok(socket.address().port > 0);
    });
  });

  describe('bindEachAddress', () => {
    it('binds the wildcard and every local IPv4 address on one port, and answers from the address asked', async () => {
      logger = new RecordingLogger();
      server = new UdpServer({ port: 0, decoder: new PipeDecoder(), bindEachAddress: true, logger });
      const bound: string[] = [];
      server.on('listening', (addresses) =>
        bound.push(...addresses.map((each) => `${each.address}:${each.port}`)),
      );
      server.addHandler(
        'where',
        handler((_data, context) => Buffer.from(String(context.localAddress))),
      );
      assert.equal(await listen(server), undefined);
      port = portOf(server);
      const local = localIPv4Addresses();
      assert.deepEqual(bound, [`0.0.0.0:${port}`, ...local.map((address) => `${address}:${port}`)]);
      assert.ok(local.includes('127.0.0.1'));
      for (const address of local) {
        const reply = await probe.ask('where|', port, address);
        assert.equal(reply.datagram.toString(), address, `received on the ${address} socket`);
        assert.equal(reply.remote.address, address, `answered from ${address}`);
      }
      await probe.expectSilence(); // one socket received each datagram: no second answer
    });

    it('pushes from the socket of the given local address', async () => {
      server = new UdpServer({
        port: 0,
        decoder: new PipeDecoder(),
        bindEachAddress: true,
        logger: new RecordingLogger(),
      });
      server.addHandler(
        'echo',
        handler((data) => data),
      );
      assert.equal(await listen(server), undefined);
      port = portOf(server);
      await probe.ask('echo|0123456789', port, '127.0.0.1');
      assert.equal(
        await server.sendTo(Buffer.from('push'), probe.socket.address().port, '127.0.0.1', '127.0.0.1'),
        true,
      );
      const pushed = await probe.receive();
      assert.equal(pushed.datagram.toString(), 'push');
      assert.equal(pushed.remote.address, '127.0.0.1');
    });
  });
});

describe('UdpServer over IPv6', () => {
  it('answers on ::1', async (test) => {
    const probe = await UdpProbe.open('::1').catch(() => undefined);
    if (probe === undefined) return test.skip('no IPv6 loopback');
    const server = new UdpServer({
      host: '::1',
      port: 0,
      decoder: new PipeDecoder(),
      logger: new RecordingLogger(),
    });
    server.addHandler(
      'echo',
      handler((data, context) =>
        Buffer.concat([data, Buffer.from(` ${context.family} ${context.remoteKey}`)]),
      ),
    );
    try {
      assert.equal(await listen(server), undefined);
      const reply = await probe.ask('echo|six', portOf(server), '::1');
      assert.equal(reply.datagram.toString(), `six IPv6 [::1]:${probe.socket.address().port}`);
    } finally {
      await server.close();
      await probe.close();
    }
  });
});

describe('UdpServer events', () => {
  it('never throws for an error nobody listens to', async () => {
    const server = new UdpServer({
      host: '127.0.0.1',
      port: 0,
      decoder: new PipeDecoder(),
      logger: new RecordingLogger(),
    });
    server.addHandler(
      'explode',
      handler(() => {
        throw new Error('unheard');
      }),
    );
    const probe = await UdpProbe.open();
    try {
      await listen(server);
      await probe.send('explode|', portOf(server));
      await probe.expectSilence();
      assert.equal(server.dropCounts().get(UdpDropReason.HANDLER_ERROR), 1);
    } finally {
      await server.close();
      await probe.close();
    }
  });

  it('removes a listener with off', async () => {
    const server = new UdpServer({
      host: '127.0.0.1',
      port: 0,
      decoder: new PipeDecoder(),
      logger: new RecordingLogger(),
    });
    let heard = 0;
    const listener = () => heard++;
    server.on('close', listener);
    server.off('close', listener);
    await server.close();
    assert.equal(heard, 0);
  });
});
