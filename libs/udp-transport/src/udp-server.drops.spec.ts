import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UdpHandlerError } from './errors/udp-handler.error.js';
import { PipeDecoder } from './testing/pipe-decoder.js';
import { UdpDropReason } from './udp-events.js';
import { handler, UdpServerFixture } from './testing/udp-server-fixture.js';

describe('UdpServer over a socket on 127.0.0.1: what it refuses', () => {
  const udp = UdpServerFixture.use();

  describe('what it drops', () => {
    it('drops what the decoder rejects without answering, counted by reason', async () => {
      await udp.start();
      const rejected: string[] = [];
      udp.server.on('rejected', (reason, remote) => rejected.push(`${reason} from ${remote.address}`));
      await udp.probe.send(Buffer.alloc(0), udp.port);
      await udp.probe.send('garbage', udp.port);
      await udp.probe.send('more garbage', udp.port);
      await udp.probe.send('|payload', udp.port);
      await udp.probe.expectSilence();
      assert.deepEqual(
        udp.server.rejectionCounts(),
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
        udp.logger.entries.map((entry) => entry.level),
        ['log'],
        'nothing logged but the listening line',
      );
    });

    it('counts a pattern without a handler as unroutable and does not answer', async () => {
      await udp.start();
      const dropped: string[] = [];
      udp.server.on('dropped', (reason, address) => dropped.push(`${reason} ${address}`));
      await udp.probe.send('nobody-home|', udp.port);
      await udp.probe.expectSilence();
      assert.deepEqual(udp.server.dropCounts(), new Map([[UdpDropReason.UNROUTABLE, 1]]));
      assert.deepEqual(dropped, ['unroutable 127.0.0.1']);
    });

    it('survives a handler that throws: no answer, counted, reported, later datagrams answered', async () => {
      await udp.start();
      udp.server.addHandler(
        'explode',
        handler(() => {
          throw new Error('kaboom');
        }),
      );
      const errors: Error[] = [];
      udp.server.on('error', (error) => errors.push(error));
      await udp.probe.send('explode|', udp.port);
      await udp.probe.expectSilence();
      assert.equal((await udp.probe.ask('echo|still here', udp.port)).datagram.toString(), 'still here');
      assert.equal(udp.server.dropCounts().get(UdpDropReason.HANDLER_ERROR), 1);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof UdpHandlerError);
      assert.equal(errors[0].pattern, 'explode');
      assert.match(udp.logger.at('error')[0], /handler for "explode" failed .*kaboom/);
    });

    it('survives a handler that rejects', async () => {
      await udp.start();
      udp.server.addHandler(
        'reject',
        handler(async () => {
          throw new Error('no');
        }),
      );
      await udp.probe.send('reject|', udp.port);
      await udp.probe.send('reject|', udp.port);
      await udp.probe.expectSilence();
      assert.equal((await udp.probe.ask('echo|ok', udp.port)).datagram.toString(), 'ok');
      assert.equal(udp.server.dropCounts().get(UdpDropReason.HANDLER_ERROR), 2);
    });

    it('logs a repeating failure at power-of-two counts only', async () => {
      await udp.start();
      udp.server.addHandler(
        'reject',
        handler(async () => {
          throw new Error('no');
        }),
      );
      for (let sent = 0; sent < 5; sent++) await udp.probe.send('reject|', udp.port);
      await udp.probe.expectSilence();
      assert.equal(udp.server.dropCounts().get(UdpDropReason.HANDLER_ERROR), 5);
      assert.equal(udp.logger.at('error').length, 3, 'failures 1, 2 and 4');
    });

    it('survives a decoder that throws', async () => {
      const decoder = new PipeDecoder();
      await udp.start({
        decoder: {
          decode: (datagram) => {
            if (datagram[0] === 0xff) throw new RangeError('decoder bug');
            return decoder.decode(datagram);
          },
        },
      });
      await udp.probe.send(Buffer.from([0xff]), udp.port);
      await udp.probe.expectSilence();
      assert.equal(udp.server.dropCounts().get(UdpDropReason.DECODER_ERROR), 1);
      assert.equal((await udp.probe.ask('echo|fine', udp.port)).datagram.toString(), 'fine');
    });

    it('refuses a handler result that is not bytes', async () => {
      await udp.start();
      udp.server.addHandler(
        'text',
        handler(() => 'not a buffer'),
      );
      await udp.probe.send('text|', udp.port);
      await udp.probe.expectSilence();
      assert.equal(udp.server.dropCounts().get(UdpDropReason.INVALID_REPLY), 1);
    });
  });

  describe('amplification limit', () => {
    it('drops a 100-byte reply to a 3-byte request', async () => {
      await udp.start();
      udp.server.addHandler(
        'a',
        handler(() => Buffer.alloc(100, 0x42)),
      );
      await udp.probe.send('a|x', udp.port);
      await udp.probe.expectSilence();
      assert.equal(udp.server.dropCounts().get(UdpDropReason.AMPLIFICATION_LIMIT), 1);
      assert.equal((await udp.probe.ask('echo|next', udp.port)).datagram.toString(), 'next');
    });

    it('allows exactly factor × the bytes received, datagram by datagram', async () => {
      await udp.start();
      udp.server.addHandler(
        'n',
        handler(() => [Buffer.alloc(9, 0x39), Buffer.alloc(1, 0x21)]),
      );
      const reply = await udp.probe.ask('n|x', udp.port);
      assert.deepEqual(reply.datagram, Buffer.alloc(9, 0x39));
      await udp.probe.expectSilence();
      assert.equal(udp.server.dropCounts().get(UdpDropReason.AMPLIFICATION_LIMIT), 1, 'the tenth byte');
    });

    it('earns no credit for datagrams the decoder rejects', async () => {
      await udp.start();
      udp.server.addHandler(
        'a',
        handler(() => Buffer.alloc(10, 0x42)),
      );
      for (let sent = 0; sent < 10; sent++) await udp.probe.send('garbage', udp.port);
      await udp.probe.send('a|x', udp.port);
      await udp.probe.expectSilence();
      assert.equal(udp.server.dropCounts().get(UdpDropReason.AMPLIFICATION_LIMIT), 1);
    });

    it('lets sendTo push to a peer within its budget and refuses an address never heard from', async () => {
      await udp.start();
      await udp.probe.ask('echo|ab', udp.port); // 7 bytes in, 2 out: 19 left
      const probePort = udp.probe.socket.address().port;
      assert.equal(await udp.server.sendTo(Buffer.alloc(19, 1), probePort, '127.0.0.1'), true);
      assert.deepEqual((await udp.probe.receive()).datagram, Buffer.alloc(19, 1));
      assert.equal(await udp.server.sendTo(Buffer.alloc(1, 1), probePort, '127.0.0.1'), false);
      assert.equal(await udp.server.sendTo(Buffer.alloc(1, 1), probePort, '127.0.0.2'), false);
      assert.equal(udp.server.dropCounts().get(UdpDropReason.AMPLIFICATION_LIMIT), 2);
    });

    it('honours a larger amplificationFactor', async () => {
      await udp.start({ amplificationFactor: 40 });
      udp.server.addHandler(
        'a',
        handler(() => Buffer.alloc(100, 0x42)),
      );
      assert.equal((await udp.probe.ask('a|x', udp.port)).datagram.length, 100);
    });
  });
});
