import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { describe, it } from 'node:test';
import { of } from 'rxjs';
import { UdpProbe } from './testing/udp-probe.js';
import type { UdpContext } from './udp-context.js';
import { UdpDropReason } from './udp-events.js';
import { delay, handler, UdpServerFixture } from './testing/udp-server-fixture.js';

describe('UdpServer over a socket on 127.0.0.1', () => {
  const udp = UdpServerFixture.use();

  describe('replies', () => {
    it('sends back the exact bytes the handler returns, from the port it listens on', async () => {
      await udp.start();
      udp.server.addHandler(
        'ack',
        handler(() => Buffer.from([1, 99, 2, 0, 0, 0, 0, 0, 4])),
      );
      const reply = await udp.probe.ask('ack|', udp.port);
      assert.deepEqual(reply.datagram, Buffer.from([1, 99, 2, 0, 0, 0, 0, 0, 4]));
      assert.equal(reply.remote.address, '127.0.0.1');
      assert.equal(reply.remote.port, udp.port);
    });

    it('sends the replies of one turn together, once every datagram the socket had ready is handled', async () => {
      await udp.start();
      const order: string[] = [];
      udp.server.addHandler(
        'turn',
        handler((data) => {
          order.push(`handled ${data.toString()}`);
          return data;
        }),
      );
      const socket = udp.server.unwrap<Socket>();
      const send = socket.send.bind(socket) as (...args: unknown[]) => void;
      (socket as unknown as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
        order.push(`sent ${(args[0] as Buffer).toString()}`);
        send(...args);
      };
      await udp.probe.send('turn|1', udp.port);
      await udp.probe.send('turn|2', udp.port);
      // Both datagrams wait in the kernel while the loop is held: the next turn reads them together.
      const heldUntil = Date.now() + 30;
      while (Date.now() < heldUntil);
      await udp.probe.receive();
      await udp.probe.receive();
      assert.deepEqual(order, ['handled 1', 'handled 2', 'sent 1', 'sent 2']);
    });

    it('hands the handler the decoded payload and a context describing the datagram', async () => {
      await udp.start();
      let seen: { data: Buffer; context: UdpContext } | undefined;
      udp.server.addHandler(
        'inspect',
        handler((data, context) => {
          seen = { data, context };
        }),
      );
      await udp.probe.send('inspect|\u0001\u0002', udp.port);
      await udp.probe.expectSilence();
      assert.ok(seen);
      assert.deepEqual(seen.data, Buffer.from([1, 2]));
      assert.equal(seen.context.pattern, 'inspect');
      assert.deepEqual(seen.context.datagram, Buffer.from('inspect|\u0001\u0002'));
      assert.equal(seen.context.remoteAddress, '127.0.0.1');
      assert.equal(seen.context.remotePort, udp.probe.socket.address().port);
      assert.equal(seen.context.family, 'IPv4');
      assert.equal(seen.context.localAddress, '127.0.0.1');
      assert.equal(seen.context.remoteKey, `127.0.0.1:${udp.probe.socket.address().port}`);
    });

    it('emits sent with each datagram and its destination', async () => {
      await udp.start();
      const sent: string[] = [];
      udp.server.on('sent', (datagram, address, destination) =>
        sent.push(`${Buffer.from(datagram).toString()} to ${address}:${destination}`),
      );
      await udp.probe.ask('echo|abc', udp.port);
      assert.deepEqual(sent, [`abc to 127.0.0.1:${udp.probe.socket.address().port}`]);
    });

    it('sends every Buffer of an array, in order', async () => {
      await udp.start();
      udp.server.addHandler(
        'many',
        handler(() => [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')]),
      );
      await udp.probe.send('many|abcdef', udp.port);
      const replies = [await udp.probe.receive(), await udp.probe.receive(), await udp.probe.receive()];
      assert.deepEqual(
        replies.map((reply) => reply.datagram.toString()),
        ['one', 'two', 'three'],
      );
    });

    it('sends nothing for undefined or null', async () => {
      await udp.start();
      udp.server.addHandler(
        'nothing',
        handler(() => undefined),
      );
      udp.server.addHandler(
        'null',
        handler(() => null),
      );
      await udp.probe.send('nothing|', udp.port);
      await udp.probe.send('null|', udp.port);
      await udp.probe.expectSilence();
      assert.equal(udp.server.dropCounts().size, 0);
    });

    it('waits for an async handler', async () => {
      await udp.start();
      udp.server.addHandler(
        'slow',
        handler(async (data) => {
          await delay(30);
          return Buffer.concat([Buffer.from('late:'), data]);
        }),
      );
      assert.equal((await udp.probe.ask('slow|x', udp.port)).datagram.toString(), 'late:x');
    });

    it('sends every value of an Observable', async () => {
      await udp.start();
      udp.server.addHandler(
        'stream',
        handler(() => of(Buffer.from('a'), Buffer.from('b'))),
      );
      await udp.probe.send('stream|xyz', udp.port);
      assert.equal((await udp.probe.receive()).datagram.toString(), 'a');
      assert.equal((await udp.probe.receive()).datagram.toString(), 'b');
    });

    it('does not hold one peer back while another one waits for a slow handler', async () => {
      await udp.start();
      let releaseSlow!: () => void;
      const slowMayAnswer = new Promise<void>((resolve) => (releaseSlow = resolve));
      udp.server.addHandler(
        'slow',
        handler(async () => {
          await slowMayAnswer;
          return Buffer.from('slow');
        }),
      );
      const other = await UdpProbe.open();
      try {
        await other.send('slow|', udp.port);
        // The slow handler answers only once the fast one has: held back behind it, this times out.
        assert.equal((await udp.probe.ask('echo|fast', udp.port)).datagram.toString(), 'fast');
        releaseSlow();
        assert.equal((await other.receive()).datagram.toString(), 'slow');
      } finally {
        releaseSlow();
        await other.close();
      }
    });

    it('calls an event handler and never answers it', async () => {
      await udp.start();
      const events: string[] = [];
      udp.server.addHandler(
        'confirm',
        handler((data) => {
          events.push(data.toString());
          return Buffer.from('ignored');
        }),
        true,
      );
      await udp.probe.send('confirm|4', udp.port);
      await udp.probe.expectSilence();
      assert.deepEqual(events, ['4']);
    });
  });

  describe('sendTo', () => {
    it('reports a send the system refuses as false, never as an exception', async () => {
      await udp.start();
      await udp.probe.ask('echo|0123456789', udp.port);
      const errors: Error[] = [];
      udp.server.on('error', (error) => errors.push(error));
      assert.equal(await udp.server.sendTo(Buffer.from([1]), 0, '127.0.0.1'), false);
      assert.equal(udp.server.dropCounts().get(UdpDropReason.SEND_ERROR), 1);
      assert.equal(errors.length, 1);
    });
    it('settles a send that a close interrupts', async () => {
      await udp.start();
      await udp.probe.ask('echo|0123456789', udp.port);
      const sent = udp.server.sendTo(Buffer.from([1]), udp.probe.socket.address().port, '127.0.0.1');
      await udp.server.close();
      assert.equal(await sent, false);
      assert.equal(udp.server.dropCounts().get(UdpDropReason.NOT_LISTENING), 1);
    });
  });
});
