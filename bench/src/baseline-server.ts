import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  dataReply,
  decodeDeviceFrame,
  encodeServerFrame,
  PingFlags,
  pingReply,
  ReplyStatus,
  uploadReply,
} from '#protocol';
import { freeUdpPort, ServerProcess } from './server-process.js';

/** Role argument that makes the bench's entry point run the baseline server instead. */
export const BASELINE_ROLE = 'baseline-server';

const LOOPBACK = '127.0.0.1';

/**
 * The floor the gateway is measured against: a bare `dgram` server that decodes each datagram with
 * the shared codec and answers at once: every upload request accepted, every data packet ACKed,
 * pings answered. No sessions, no reassembly, no storage, no framework. Runs until killed.
 */
export function serveBaseline(port: number, host = LOOPBACK): void {
  const socket = createSocket('udp4');
  socket.on('message', (datagram, remote) => {
    const decoded = decodeDeviceFrame(datagram);
    if (!decoded.ok) return;
    const frame = decoded.frame;
    let reply: Buffer | undefined;
    if (frame.kind === 'data') reply = encodeServerFrame(dataReply(frame, ReplyStatus.Ok));
    else if (frame.kind === 'upload-request') reply = encodeServerFrame(uploadReply(frame, ReplyStatus.Ok));
    else if (frame.kind === 'ping') reply = encodeServerFrame(pingReply(frame, PingFlags.AcceptingUploads));
    if (reply) socket.send(reply, remote.port, remote.address);
  });
  socket.bind(port, host);
  process.once('SIGTERM', () => socket.close(() => process.exit(0)));
}

/** Starts the baseline server in a child process of its own, like the gateway. */
export async function startBaselineChild(workDir: string): Promise<ServerProcess> {
  const port = await freeUdpPort(LOOPBACK);
  const entry = fileURLToPath(new URL('./main.js', import.meta.url));
  return ServerProcess.start({
    name: 'baseline',
    script: [entry, BASELINE_ROLE, String(port)],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, UV_USE_IO_URING: '0' },
    logPath: join(workDir, 'baseline.log'),
    udp: { address: LOOPBACK, port },
  });
}
