import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RequestPacer } from './request-pacer.js';

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('RequestPacer: HTTP requests share the event loop', () => {
  let server: Server;
  let port: number;
  /** Turns of the event loop each request was handled in (a counter bumped by setImmediate). */
  const handledInTurn: number[] = [];
  let turn = 0;
  let counting = true;

  before(async () => {
    const tick = (): void => {
      turn++;
      if (counting) setImmediate(tick);
    };
    tick();
    server = createServer((req, res) => {
      const startedAt = performance.now();
      // Each request holds the loop 2 ms, as a heavy page would.
      while (performance.now() - startedAt < 2);
      handledInTurn.push(turn);
      res.end(req.url);
    });
    new RequestPacer({
      batchMs: 3,
      loopShare: 1,
      maxWaiting: 1000,
      isUrgent: (req) => req.url === '/health',
    }).install(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    counting = false;
    await new Promise((resolve) => server.close(resolve));
  });

  it('hands the application only a batch per turn of the loop, the rest in later turns', async () => {
    handledInTurn.length = 0;
    const statuses = await Promise.all(Array.from({ length: 40 }, () => get(port, '/page')));
    assert.ok(statuses.every((status) => status === 200));
    const perTurn = new Map<number, number>();
    for (const at of handledInTurn) perTurn.set(at, (perTurn.get(at) ?? 0) + 1);
    // 3 ms per batch, 2 ms per request: at most 2 requests in one turn.
    assert.ok(Math.max(...perTurn.values()) <= 2, JSON.stringify([...perTurn]));
    assert.ok(perTurn.size >= 20);
  });

  it('lets urgent requests (health) through at once, and answers 503 when too many wait', async () => {
    assert.equal(await get(port, '/health'), 200);
    const small = createServer((_req, res) => res.end());
    new RequestPacer({ batchMs: 1, loopShare: 1, maxWaiting: 0, isUrgent: () => false }).install(small);
    await new Promise<void>((resolve) => small.listen(0, '127.0.0.1', resolve));
    try {
      assert.equal(await get((small.address() as AddressInfo).port, '/'), 503);
    } finally {
      await new Promise((resolve) => small.close(resolve));
    }
  });
});
