import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MessageHandler } from '@nestjs/microservices';
import { EndOfTurn } from './end-of-turn.js';
import { UdpHandlerError } from './errors/udp-handler.error.js';
import { PipeDecoder } from './testing/pipe-decoder.js';
import { RecordingLogger } from './testing/recording-logger.js';
import { UdpProbe } from './testing/udp-probe.js';
import { UdpDropReason } from './udp-events.js';
import { UdpServer } from './udp-server.js';
import type { UdpServerOptions } from './udp-server-options.js';

/** The datagrams the server's socket is asked to send, as they are asked. */
function watchSends(server: UdpServer, order: string[]): void {
  const socket = server.unwrap<Socket>();
  const send = socket.send.bind(socket) as (...args: unknown[]) => void;
  (socket as unknown as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
    order.push(`sent ${Buffer.from(args[0] as Uint8Array).toString()}`);
    send(...args);
  };
}

describe('UdpServer: direct handlers, peer credit, counts by kind (127.0.0.1)', () => {
  let server: UdpServer;
  let probe: UdpProbe;
  let port: number;
  let turn: EndOfTurn;

  async function start(options: Partial<UdpServerOptions> = {}): Promise<void> {
    turn = new EndOfTurn();
    server = new UdpServer({
      host: '127.0.0.1',
      port: 0,
      decoder: new PipeDecoder(),
      logger: new RecordingLogger(),
      endOfTurn: turn,
      ...options,
    });
    await new Promise((resolve) => server.listen(resolve));
    port = server.unwrap<Socket>().address().port;
  }

  beforeEach(async () => {
    probe = await UdpProbe.open();
  });

  afterEach(async () => {
    await server?.close();
    await probe.close();
  });

  describe('addDirectHandler', () => {
    it('holds a synchronous reply to the end of the turn, after the turn’s journal write', async () => {
      await start();
      const scratch = await mkdtemp(join(tmpdir(), 'end-of-turn-journal-'));
      const journal = join(scratch, 'journal');
      writeFileSync(journal, '');
      const order: string[] = [];
      let written = '';
      turn.onPersist(() => {
        writeFileSync(journal, written);
        order.push('persisted');
      });
      server.addDirectHandler('ack', (data) => {
        written += `${String(data)};`;
        order.push(`handled ${String(data)}`);
        return Buffer.from(`ack ${String(data)}`);
      });
      watchSends(server, order);
      let journalWhenSent = '';
      server.on('sent', () => (journalWhenSent = readFileSync(journal, 'utf8')));
      try {
        const reply = await probe.ask('ack|7', port);
        assert.equal(reply.datagram.toString(), 'ack 7');
        assert.deepEqual(order, ['handled 7', 'persisted', 'sent ack 7']);
        assert.equal(journalWhenSent, '7;', 'the record was on disk when its reply left');
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    });

    it('sends what a Promise resolves to, once it resolves', async () => {
      await start();
      server.addDirectHandler(
        'later',
        (data) =>
          new Promise((resolve) => setTimeout(() => resolve(Buffer.from(`later ${String(data)}`)), 20)),
      );
      assert.equal((await probe.ask('later|x', port)).datagram.toString(), 'later x');
    });

    it('wins over a @MessagePattern handler of the same pattern', async () => {
      await start();
      server.addHandler('both', (() => Buffer.from('pipeline')) as unknown as MessageHandler);
      server.addDirectHandler('both', () => Buffer.from('direct'));
      assert.equal((await probe.ask('both|', port)).datagram.toString(), 'direct');
    });

    const failures: [string, () => unknown][] = [
      [
        'throws',
        () => {
          throw new Error('kaboom');
        },
      ],
      ['returns a Promise that rejects', () => Promise.reject(new Error('kaboom'))],
    ];
    for (const [what, failing] of failures) {
      it(`counts a handler that ${what} as handler-error, answers nothing, and answers the next datagram`, async () => {
        await start();
        server.addDirectHandler('explode', failing);
        server.addDirectHandler('echo', (data) => data);
        const errors: Error[] = [];
        server.on('error', (error) => errors.push(error));
        await probe.send('explode|', port);
        await probe.expectSilence();
        assert.equal((await probe.ask('echo|still here', port)).datagram.toString(), 'still here');
        assert.equal(server.dropCounts().get(UdpDropReason.HANDLER_ERROR), 1);
        assert.ok(errors[0] instanceof UdpHandlerError);
        assert.equal(errors[0].pattern, 'explode');
      });
    }
  });

  describe('creditPeer', () => {
    it('gives an address the reply budget of bytes it sent to a previous process', async () => {
      await start();
      server.addDirectHandler('big', () => Buffer.alloc(100, 0x42));
      await probe.send('big|', port);
      await probe.expectSilence();
      assert.equal(
        server.dropCounts().get(UdpDropReason.AMPLIFICATION_LIMIT),
        1,
        '4 bytes in pay for 12 out',
      );
      server.creditPeer('127.0.0.1', 30);
      assert.equal((await probe.ask('big|', port)).datagram.length, 100);
      server.creditPeer('127.0.0.2', 1000);
      assert.equal(
        await server.sendTo(Buffer.alloc(20), probe.socket.address().port, '127.0.0.1'),
        false,
        'spent',
      );
    });
  });

  describe('sentCounts', () => {
    it('counts the datagrams sent by the kind sentKind names, replies and pushes alike', async () => {
      await start({ sentKind: (datagram) => (datagram[0] === 0x61 ? 'ack' : 'other') });
      server.addDirectHandler('echo', (data) => data);
      for (const text of ['a1', 'a2', 'b']) await probe.ask(`echo|${text}`, port);
      assert.equal(await server.sendTo(Buffer.from('a3'), probe.socket.address().port, '127.0.0.1'), true);
      await probe.receive();
      assert.deepEqual(
        server.sentCounts(),
        new Map([
          ['ack', 3],
          ['other', 1],
        ]),
      );
      const copy = server.sentCounts();
      copy.set('ack', 99);
      assert.equal(server.sentCounts().get('ack'), 3, 'a copy');
    });

    it('counts nothing without sentKind', async () => {
      await start();
      server.addDirectHandler('echo', (data) => data);
      await probe.ask('echo|a', port);
      assert.deepEqual(server.sentCounts(), new Map());
    });

    it('does not count a reply that was dropped', async () => {
      await start({ sentKind: () => 'reply' });
      server.addDirectHandler('big', () => Buffer.alloc(100));
      await probe.send('big|', port);
      await probe.expectSilence();
      assert.deepEqual(server.sentCounts(), new Map());
    });
  });
});
