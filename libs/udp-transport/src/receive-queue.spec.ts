import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { receiveQueueBytes } from './receive-queue.js';

const RECEIVER = `
const socket = require('node:dgram').createSocket('udp4');
let count = 0;
socket.on('message', () => { if (++count === 5) console.log('got 5'); });
socket.bind(0, '127.0.0.1', () => console.log(socket.address().port));
`;

describe('receiveQueueBytes', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  it('sees datagrams queued for a socket whose process is not reading, and none once read', async () => {
    const receiver = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(receiver.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    receiver.kill('SIGSTOP');
    const sender = createSocket('udp4');
    try {
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve) =>
          sender.send(Buffer.alloc(100), port, '127.0.0.1', () => resolve()),
        );
      }
      const waiting = await receiveQueueBytes(port);
      assert.ok(
        waiting !== undefined && waiting >= 500,
        `bytes queued while the receiver is stopped: ${waiting}`,
      );
      receiver.kill('SIGCONT');
      await once(receiver.stdout!, 'data');
      assert.equal(await receiveQueueBytes(port), 0);
    } finally {
      sender.close();
      receiver.kill('SIGKILL');
    }
  });

  it('reports 0 for a port nothing is bound to', async () => {
    assert.equal(await receiveQueueBytes(1), 0);
  });
});
