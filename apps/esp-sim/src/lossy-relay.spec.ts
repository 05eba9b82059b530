import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { LossyRelay } from './lossy-relay.js';

const sockets: Socket[] = [];
after(() => sockets.forEach((socket) => socket.close()));

async function peer(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, port: socket.address().port };
}

function next(socket: Socket): Promise<Buffer> {
  return once(socket, 'message').then(([datagram]) => datagram as Buffer);
}

describe('LossyRelay', () => {
  it('carries datagrams both ways, from one address towards the gateway, and rewrites them as told', async () => {
    const gateway = await peer();
    const device = await peer();
    const relay = await LossyRelay.open({
      target: { address: '127.0.0.1', port: gateway.port },
      tamper: (datagram, direction) =>
        direction === 'outgoing' ? Buffer.concat([datagram, Buffer.from([9])]) : undefined,
    });
    try {
      const arrived = next(gateway.socket);
      device.socket.send(Buffer.from([1, 2]), relay.address.port, '127.0.0.1');
      assert.deepEqual([...(await arrived)], [1, 2, 9]);
      const reply = next(device.socket);
      gateway.socket.send(Buffer.from([7]), relay.upstreamAddress.port, '127.0.0.1');
      assert.deepEqual([...(await reply)], [7]);
      assert.deepEqual([relay.counters.outgoing.delivered, relay.counters.incoming.delivered], [1, 1]);
    } finally {
      await relay.close();
    }
  });

  it('loses what its link loses, and sends to another gateway once redirected', async () => {
    const first = await peer();
    const second = await peer();
    const device = await peer();
    const relay = await LossyRelay.open({
      target: { address: '127.0.0.1', port: first.port },
      link: { drop: (datagram) => datagram[0] === 0 },
    });
    try {
      const arrived = next(second.socket);
      device.socket.send(Buffer.from([0]), relay.address.port, '127.0.0.1');
      relay.redirect({ address: '127.0.0.1', port: second.port });
      device.socket.send(Buffer.from([5]), relay.address.port, '127.0.0.1');
      assert.deepEqual([...(await arrived)], [5]);
      assert.equal(relay.counters.outgoing.lost, 1);
    } finally {
      await relay.close();
    }
  });
});
