/**
 * Room an image may take beyond MAX_IMAGE_BYTES on disk: its sidecar (a few blocks at most) and
 * the rounding of both files to whole blocks.
 */
const SIDECAR_ROOM_BYTES = 16 * 1024;

/** A pass never sets out to free more than this at once (a few minutes of a large line). */
const MAX_SLACK_BYTES = 1024 ** 3;

/** Where pruning starts and stops, in bytes. */
export interface RoomTargets {
  /** Most the images and sidecars may take; Infinity: no cap. */
  readonly capBytes: number;
  /** Pruning starts this far below the cap and goes on until twice as far. */
  readonly slackBytes: number;
  /** Free space readiness wants (MIN_FREE_DISK_BYTES). */
  readonly minFreeBytes: number;
  /** Pruning starts when free space is within this of `minFreeBytes`, and goes on until twice as far. */
  readonly diskSlackBytes: number;
}

/** RETENTION_MAX_BYTES as bytes: a number (0: no cap), or a percentage of the file system. */
export function parseByteCap(setting: string, fileSystemBytes: number): number {
  if (setting.endsWith('%')) return Math.floor((fileSystemBytes * Number(setting.slice(0, -1))) / 100);
  const bytes = Number(setting);
  return bytes === 0 ? Infinity : bytes;
}

/**
 * Largest images the slack leaves room for at least: what a few transfers finishing together
 * write (each image, and its packets in the spool) before the next check.
 */
const SLACK_IMAGES = 4;

/**
 * The targets for a file system of `fileSystemBytes`. The slack is 1 % of what it guards (at most
 * 1 GiB), but at least four of the largest images, so that what arrives while a pass runs fits
 * below the cap: a pass then frees a few minutes' worth at once (one log line), and an upload
 * never waits for one. On a tiny cap it is at most a quarter of the cap.
 */
export function roomTargetsFrom(
  settings: {
    readonly RETENTION_MAX_BYTES: string;
    readonly MIN_FREE_DISK_BYTES: number;
    readonly MAX_IMAGE_BYTES: number;
  },
  fileSystemBytes: number,
): RoomTargets {
  const imageRoom = settings.MAX_IMAGE_BYTES + SIDECAR_ROOM_BYTES;
  const slack = (whole: number) =>
    Math.floor(
      Math.min(whole / 4, Math.max(SLACK_IMAGES * imageRoom, Math.min(whole / 100, MAX_SLACK_BYTES))),
    );
  const capBytes = parseByteCap(settings.RETENTION_MAX_BYTES, fileSystemBytes);
  return {
    capBytes,
    slackBytes: capBytes === Infinity ? 0 : slack(capBytes),
    minFreeBytes: settings.MIN_FREE_DISK_BYTES,
    diskSlackBytes: slack(fileSystemBytes),
  };
}

/** Why room is wanted, if it is: the cap first, then free space. */
export type RoomNeed = 'size' | 'disk' | undefined;

/** Whether a pass should start: within the slack of the cap, or of the free-space floor. */
export function roomNeeded(
  storedBytes: number,
  freeBytes: number | undefined,
  targets: RoomTargets,
): RoomNeed {
  return roomWanted(storedBytes, freeBytes, targets, 1);
}

/** Whether a pass under way should go on: not yet twice the slack away. */
export function roomStillWanted(
  storedBytes: number,
  freeBytes: number | undefined,
  targets: RoomTargets,
): RoomNeed {
  return roomWanted(storedBytes, freeBytes, targets, 2);
}

function roomWanted(
  storedBytes: number,
  freeBytes: number | undefined,
  targets: RoomTargets,
  slacks: number,
): RoomNeed {
  if (storedBytes > targets.capBytes - slacks * targets.slackBytes) return 'size';
  if (freeBytes !== undefined && freeBytes < targets.minFreeBytes + slacks * targets.diskSlackBytes)
    return 'disk';
  return undefined;
}
