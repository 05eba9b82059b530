import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from '#camera-emulator';
import { parseUplinkLine, runCommand, type UplinkLine } from '../../apps/esp-sim/src/index.js';

/** The C library's command as `npm run build:firmware` builds it under ASan and UBSan. */
export const SANITIZED_UPLINK_COMMAND = fileURLToPath(
  new URL('../../../firmware/build/sanitized/cable-uplink-send', import.meta.url),
);

/** Settings for loopback: round trips of a millisecond, a gateway that answers at once. */
export const LOOPBACK_TIMING = [
  '--reply-timeout',
  '300',
  '--min-reply-timeout',
  '20',
  '--busy-pause',
  '100',
] as const;

export interface CommandOutcome {
  readonly code: number | null;
  /** One per image, in order. */
  readonly lines: readonly UplinkLine[];
  /** With --ping: the gateway's answer, null when it gave none. */
  readonly ping?: { readonly version: number; readonly flags: number } | null;
  readonly stderr: string;
}

/**
 * Runs `cable-uplink-send --json` as device `deviceId` towards `server` for `images` (file paths),
 * with `extra` arguments, and parses every line it prints.
 */
export async function runUplink(
  server: Endpoint,
  deviceId: number,
  images: readonly string[],
  extra: readonly string[] = [],
): Promise<CommandOutcome> {
  const args = ['--server', `${server.address}:${server.port}`, '--id', String(deviceId), '--json', ...extra];
  const run = await runCommand(SANITIZED_UPLINK_COMMAND, [...args, ...images]);
  const printed = run.stdout.split('\n').filter((line) => line.trim() !== '');
  const pingLine = printed.find((line) => line.startsWith('{"ping":'));
  const ping =
    pingLine === undefined ? undefined : (JSON.parse(pingLine) as Pick<CommandOutcome, 'ping'>).ping;
  const lines = printed.filter((line) => line !== pingLine).map(parseUplinkLine);
  return { code: run.code, lines, ping, stderr: run.stderr };
}

/** Writes each image to `directory` and returns their paths, in order. */
export async function writeImages(directory: string, images: readonly Buffer[]): Promise<string[]> {
  return Promise.all(
    images.map(async (image, index) => {
      const path = join(directory, `image-${index}-${image.length}.jpg`);
      await writeFile(path, image);
      return path;
    }),
  );
}

/** One line per upload for assertion messages. */
export function describeLines(outcome: CommandOutcome): string {
  const lines = outcome.lines.map(
    (line) =>
      `${line.outcome} ${line.bytes} B: ${line.requests} requests, ${line.packetsSent} packets, ` +
      `${line.endRounds} rounds, ${line.restarts} restarts, ${line.timeouts} timeouts, ${line.totalMs} ms`,
  );
  return `exit ${outcome.code}; ${lines.join('; ')}${outcome.stderr ? `; stderr: ${outcome.stderr}` : ''}`;
}
