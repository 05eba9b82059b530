import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { screenReply, type ScreenContext } from './reply-screen.js';

const burst: ScreenContext = { deviceId: 99, generation: 'B', packetCount: 10 };
const stopAndWait: ScreenContext = { deviceId: 99, generation: 'A', packetCount: 10 };

function screen(bytes: number[], context: ScreenContext): string[] {
  return screenReply(Buffer.from(bytes), context);
}

describe('screenReply', () => {
  it('passes the replies each generation expects', () => {
    assert.deepEqual(screen([1, 99, 1, 0, 10, 0, 0, 5, 0xb4], burst), []);
    assert.deepEqual(screen([1, 99, 3, 2, 3, 9], burst), []);
    assert.deepEqual(screen([1, 99, 2, 0, 0, 0, 0, 5, 0xac], stopAndWait), []);
    assert.deepEqual(screen([1, 99, 4, 0, 0, 1, 0x27, 0x10, 0x6f, 0x6b], stopAndWait), []);
  });

  it('flags a per-packet reply to burst firmware', () => {
    const [violation] = screen([1, 99, 2, 0, 0, 0, 0, 5, 0xac], burst);
    assert.match(violation, /per-packet reply to burst firmware/);
  });

  it('flags a missing list naming a packet not below N', () => {
    const [violation] = screen([1, 99, 3, 2, 3, 10], burst);
    assert.match(violation, /names 10, not below N = 10/);
  });

  it('flags a missing list sent to stop-and-wait firmware', () => {
    assert.match(screen([1, 99, 3, 0], stopAndWait)[0], /stop-and-wait/);
  });

  it('flags a reply longer than 32 bytes', () => {
    const long = [1, 99, 3, 29, ...Array.from({ length: 29 }, (_, index) => index % 10)];
    assert.match(screen(long, burst)[0], /33 bytes exceeds the 32-byte reply buffer/);
  });

  it('lets an analysis result for another id through: it is for the previous holder of the address', () => {
    assert.deepEqual(screen([1, 105, 4, 2, 2, 0xff, 0, 0], burst), []);
  });

  it('flags a reply for another device, a malformed reply, an unsolicited ping reply', () => {
    assert.match(screen([1, 98, 3, 0], burst)[0], /for device 98, not 99/);
    assert.match(screen([1, 99, 1, 0], burst)[0], /malformed reply \(too-short/);
    assert.match(screen([0, 99, 0, 1, 1], burst)[0], /unsolicited ping reply/);
  });
});
