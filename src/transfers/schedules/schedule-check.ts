import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadResult } from '#camera-emulator';
import type { Schedule, Tenant } from './schedule.js';

/** What a schedule broke, each kind one of the guarantees. */
export type FindingKind =
  /** A stored image that is not byte for byte an image its device sent. */
  | 'corrupt-stored'
  /** A camera told its image was stored (final ACK, empty missing list) that is not on disk. */
  | 'false-stored'
  /** A generation-A camera that never finished although it kept trying. */
  | 'stranded'
  /**
   * Stranded, but the spool files were damaged while it uploaded: what the gateway had
   * acknowledged to it may be what the damage destroyed (not covered: reported, not a failure).
   */
  | 'stranded-by-damage';

export interface Finding {
  readonly kind: FindingKind;
  readonly detail: string;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function keyOf(deviceId: number, address: string): string {
  return `${deviceId}@${address}`;
}

/** One upload a camera of the schedule made, and how it ended. */
export interface Upload {
  readonly tenant: Tenant;
  readonly address: string;
  readonly image: Buffer;
  readonly result: UploadResult;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** The guarantees, checked against what the cameras sent and were told, and what is on disk. */
export async function check(
  storageDir: string,
  schedule: Schedule,
  uploads: readonly Upload[],
  damagedAt: readonly number[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const sent = new Map<string, Set<string>>();
  for (const tenant of schedule.tenants) {
    for (const stint of tenant.stints) {
      const key = keyOf(tenant.deviceId, stint.address);
      const digests = sent.get(key) ?? new Set<string>();
      for (const image of stint.images) digests.add(sha256(image));
      sent.set(key, digests);
    }
  }
  const stored = new Map<string, Set<string>>();
  for (const { sidecar, bytes } of await storedImages(storageDir)) {
    const key = keyOf(sidecar.deviceId, sidecar.source.address);
    const digest = sha256(bytes);
    if (!sent.get(key)?.has(digest)) {
      findings.push({
        kind: 'corrupt-stored',
        detail: `${sidecar.imageId}: ${bytes.length} bytes stored for ${key} that no device sent from there`,
      });
    }
    const digests = stored.get(key) ?? new Set<string>();
    digests.add(digest);
    stored.set(key, digests);
  }
  for (const { tenant, address, image, result, startedAt, endedAt } of uploads) {
    const key = keyOf(tenant.deviceId, address);
    if (result.ok && !stored.get(key)?.has(sha256(image))) {
      findings.push({
        kind: 'false-stored',
        detail: `${tenant.name} at ${address}: told its ${image.length}-byte image was stored; it is not`,
      });
    }
    if (!result.ok && result.generation !== 'B') {
      const damaged = damagedAt.some((at) => at >= startedAt && at <= endedAt);
      findings.push({
        kind: damaged ? 'stranded-by-damage' : 'stranded',
        detail: `${tenant.name} at ${address}: ${image.length}-byte image never finished (${result.gaveUp})`,
      });
    }
  }
  return findings;
}

/** Every image stored, through its sidecar. */
async function storedImages(
  storageDir: string,
): Promise<{ sidecar: { imageId: string; deviceId: number; source: { address: string } }; bytes: Buffer }[]> {
  const found = [];
  for (const day of await readdirOrEmpty(storageDir)) {
    if (day.startsWith('.')) continue;
    for (const device of await readdirOrEmpty(join(storageDir, day))) {
      const folder = join(storageDir, day, device);
      for (const name of await readdirOrEmpty(folder)) {
        if (!name.endsWith('.json') || name.startsWith('.')) continue;
        const sidecar = JSON.parse(await readFile(join(folder, name), 'utf8')) as {
          imageId: string;
          file: string;
          deviceId: number;
          source: { address: string };
        };
        found.push({ sidecar, bytes: await readFile(join(folder, sidecar.file)) });
      }
    }
  }
  return found;
}

export async function readdirOrEmpty(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch {
    return [];
  }
}
