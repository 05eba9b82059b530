import { readFile } from 'node:fs/promises';

/** Where Linux lists the UDP sockets of the current network namespace, with their queues. */
const PROC_NET_UDP = ['/proc/net/udp', '/proc/net/udp6'];

/**
 * Bytes waiting unread in the receive queues of the UDP sockets bound to `port`, as the kernel
 * reports them (`rx_queue` of /proc/net/udp). Undefined where that is not available (not Linux).
 * Tells a busy server whether datagrams are still queued behind the ones it is reading.
 */
export async function receiveQueueBytes(port: number): Promise<number | undefined> {
  let found = false;
  let queued = 0;
  for (const table of PROC_NET_UDP) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    found = true;
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const queues = fields[4];
      if (!local || !queues) continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) !== port) continue;
      queued += Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16) || 0;
    }
  }
  return found ? queued : undefined;
}
