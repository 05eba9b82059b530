import { EventEmitter } from 'node:events';
import type { ImageRecord, StoredImage } from './image-record.js';

/** Why images left the store: retention's three reasons, or a crash leftover removed at start-up. */
export type RemovalReason = 'age' | 'size' | 'disk' | 'orphan';

/**
 * What happens to the stored images, for whoever keeps track of them (the retention inventory, an
 * index of recent records). Each event is emitted once the change is on disk, never awaited.
 */
export interface StoreEventMap {
  /** An image and its sidecar were written and made durable. */
  stored: [image: StoredImage];
  /** A sidecar was rewritten (analysis, review): the record before and after, and their sizes in bytes. */
  updated: [
    sidecarPath: string,
    before: ImageRecord,
    after: ImageRecord,
    bytes: { before: number; after: number },
  ];
  /** Images (by id) removed from the store, all for one reason. */
  removed: [imageIds: readonly string[], reason: RemovalReason];
}

export class StoreEvents extends EventEmitter<StoreEventMap> {}
