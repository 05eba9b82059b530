import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { describe, it } from 'node:test';
import { UdpBindError } from './errors/udp-bind.error.js';
import { UdpServerStateError } from './errors/udp-server-state.error.js';
import { localIPv4Addresses } from './local-addresses.js';
import { PipeDecoder } from './testing/pipe-decoder.js';
import { RecordingLogger } from './testing/recording-logger.js';
import { UdpProbe } from './testing/udp-probe.js';
import { UdpDropReason, UdpStatus } from './udp-events.js';
import { UdpServer } from './udp-server.js';
import { delay, handler, listen, portOf, UdpServerFixture } from './testing/udp-server-fixture.js';

describe('UdpServer over a socket on 127.0.0.1: its life', () => {
  const udp = UdpServerFixture.use();

  describe('lifecycle', () => {
    it('reports connected once bound and disconnected once closed', async () => {
      const statuses: string[] = [];
      udp.server = new UdpServer({
        host: '127.0.0.1',
        port: 0,
        decoder: new PipeDecoder(),
        logger: new RecordingLogger(),
      });
      const subscription = udp.server.status.subscribe((status) => statuses.push(status));
      await listen(udp.server);
      await udp.server.close();
      subscription.unsubscribe();
      assert.deepEqual(statuses, [UdpStatus.CONNECTED, UdpStatus.DISCONNECTED]);
    });

    it('emits listening with the bound addresses, and close', async () => {
      udp.server = new UdpServer({
        host: '127.0.0.1',
        port: 0,
        decoder: new PipeDecoder(),
        logger: new RecordingLogger(),
      });
      const seen: string[] = [];
      udp.server.on('listening', (addresses) => seen.push(`listening ${addresses[0].address}`));
      udp.server.on('close', () => seen.push('close'));
      await listen(udp.server);
      await udp.server.close();
      assert.deepEqual(seen, ['listening 127.0.0.1', 'close']);
    });

    it('passes a bind error to the listen callback, once, when the port is taken', async () => {
      await udp.start();
      const second = new UdpServer({
        host: '127.0.0.1',
        port: udp.port,
        decoder: new PipeDecoder(),
        logger: udp.logger,
      });
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
      assert.equal(error.port, udp.port);
      assert.match(error.message, /EADDRINUSE/);
      assert.deepEqual(statuses, [UdpStatus.DISCONNECTED]);
      assert.equal(
        (await udp.probe.ask('echo|first still serves', udp.port)).datagram.toString(),
        'first still serves',
      );
      await second.close();
    });

    it('can listen again after a failed bind', async () => {
      await udp.start();
      const second = new UdpServer({
        host: '127.0.0.1',
        port: udp.port,
        decoder: new PipeDecoder(),
        logger: udp.logger,
      });
      assert.ok((await listen(second)) instanceof UdpBindError);
      await udp.server.close();
      assert.equal(await listen(second), undefined);
      await second.close();
    });

    it('refuses a second listen and a listen after close', async () => {
      await udp.start();
      assert.ok((await listen(udp.server)) instanceof UdpServerStateError);
      await udp.server.close();
      assert.ok((await listen(udp.server)) instanceof UdpServerStateError);
    });

    it('fails a listen that a close interrupts, and still calls back once', async () => {
      udp.server = new UdpServer({
        host: '127.0.0.1',
        port: 0,
        decoder: new PipeDecoder(),
        logger: new RecordingLogger(),
      });
      const result = listen(udp.server);
      await udp.server.close();
      assert.ok((await result) instanceof Error);
    });

    it('closes idempotently, before listen as after', async () => {
      const idle = new UdpServer({ host: '127.0.0.1', port: 0, decoder: new PipeDecoder() });
      await idle.close();
      await idle.close();
      await udp.start();
      const first = udp.server.close();
      assert.equal(udp.server.close(), first);
      await first;
      await udp.server.close();
    });

    it('stops answering once closed', async () => {
      await udp.start();
      await udp.server.close();
      await udp.probe.send('echo|anyone?', udp.port);
      await udp.probe.expectSilence();
    });

    it('drops the reply of a handler that finishes after close', async () => {
      await udp.start();
      let finished = false;
      udp.server.addHandler(
        'slow',
        handler(async () => {
          await delay(50);
          finished = true;
          return Buffer.from('too late');
        }),
      );
      await udp.probe.send('slow|', udp.port);
      await delay(10);
      await udp.server.close();
      await delay(80);
      assert.equal(finished, true);
      assert.equal(udp.server.dropCounts().get(UdpDropReason.NOT_LISTENING), 1);
    });

    it('unwraps to the dgram socket, which exists before listen', async () => {
      udp.server = new UdpServer({
        host: '127.0.0.1',
        port: 0,
        decoder: new PipeDecoder(),
        logger: new RecordingLogger(),
      });
      const socket = udp.server.unwrap<Socket>();
      assert.equal(typeof socket.send, 'function');
      await listen(udp.server);
      assert.equal(udp.server.unwrap<Socket>(), socket);
      assert.equal(socket.address().address, '127.0.0.1');
      assert.ok(socket.address().port > 0);
    });
  });

  describe('bindEachAddress', () => {
    it('binds the wildcard and every local IPv4 address on one port, and answers from the address asked', async () => {
      udp.logger = new RecordingLogger();
      udp.server = new UdpServer({
        port: 0,
        decoder: new PipeDecoder(),
        bindEachAddress: true,
        logger: udp.logger,
      });
      const bound: string[] = [];
      udp.server.on('listening', (addresses) =>
        bound.push(...addresses.map((each) => `${each.address}:${each.port}`)),
      );
      udp.server.addHandler(
        'where',
        handler((_data, context) => Buffer.from(String(context.localAddress))),
      );
      assert.equal(await listen(udp.server), undefined);
      udp.port = portOf(udp.server);
      const local = localIPv4Addresses();
      assert.deepEqual(bound, [`0.0.0.0:${udp.port}`, ...local.map((address) => `${address}:${udp.port}`)]);
      assert.ok(local.includes('127.0.0.1'));
      for (const address of local) {
        const reply = await udp.probe.ask('where|', udp.port, address);
        assert.equal(reply.datagram.toString(), address, `received on the ${address} socket`);
        assert.equal(reply.remote.address, address, `answered from ${address}`);
      }
      await udp.probe.expectSilence(); // one socket received each datagram: no second answer
    });

    it('pushes from the socket of the given local address', async () => {
      udp.server = new UdpServer({
        port: 0,
        decoder: new PipeDecoder(),
        bindEachAddress: true,
        logger: new RecordingLogger(),
      });
      udp.server.addHandler(
        'echo',
        handler((data) => data),
      );
      assert.equal(await listen(udp.server), undefined);
      udp.port = portOf(udp.server);
      await udp.probe.ask('echo|0123456789', udp.port, '127.0.0.1');
      assert.equal(
        await udp.server.sendTo(
          Buffer.from('push'),
          udp.probe.socket.address().port,
          '127.0.0.1',
          '127.0.0.1',
        ),
        true,
      );
      const pushed = await udp.probe.receive();
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
