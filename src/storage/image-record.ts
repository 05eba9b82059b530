import type { FlowMode } from '../common/transfer-model.js';

/** The JSON sidecar stored beside every image. */
export interface ImageRecord {
  readonly imageId: string;
  readonly file: string;
  readonly clientType: number;
  readonly deviceId: number;
  /** The device's address and port, and the gateway address it sent to (when bound per address). */
  readonly source: { readonly address: string; readonly port: number; readonly localAddress?: string };
  /** How the device sent it: `stop-and-wait` (firmware generation A) or `burst` (generation B). */
  readonly flowMode: FlowMode;
  readonly size: number;
  readonly sha256: string;
  readonly packets: number;
  readonly packetSize: number;
  readonly announcedSize: number | null;
  readonly duplicates: number;
  readonly conflicts: number;
  readonly duplicateRequests: number;
  readonly endOfTransferRounds: number;
  readonly timings: {
    readonly acceptedAt: string;
    readonly firstPacketAt: string | null;
    readonly completedAt: string;
    readonly storedAt: string;
    readonly transferMs: number;
  };
  /**
   * Added by the classifier once the image is analysed. Until then the image is waiting for
   * analysis, and retention never removes it (see src/retention).
   */
  readonly analysis?: unknown;
  /** A candidate model's analysis made beside the active one (shadow mode): recorded, never pushed nor published. */
  readonly shadow?: unknown;
  /**
   * A person's label for the image (the review page, `PUT /api/images/<id>/review`). An image with
   * a review is never removed automatically.
   */
  readonly review?: ImageReview;
}

/** What a reviewer said the image shows, and when. */
export interface ImageReview {
  readonly label: string;
  readonly at: string;
}

/** What the transfer layer knows of an image when it hands it over for storing. */
export type ImageArrival = Omit<ImageRecord, 'imageId' | 'file' | 'size' | 'sha256' | 'timings'> & {
  /** Names the file: storing the same transfer again (after a crash) rewrites the same file. */
  readonly transferId: string;
  readonly acceptedAt: number;
  readonly firstPacketAt: number | undefined;
  readonly completedAt: number;
};

export interface StoredImage {
  readonly imageId: string;
  readonly imagePath: string;
  readonly sidecarPath: string;
  readonly record: ImageRecord;
}
