/**
 * Every number that travels on the wire with a meaning of its own, defined once.
 * Values are stable once published: never renumber, only add.
 */

/** Version of this protocol as reported in the ping reply. */
export const PROTOCOL_VERSION = 1;

/** Byte 0 of every frame. */
export enum ClientType {
  /** Reserved by the seed; this product uses it for ping / discovery. */
  Special = 0,
  /** ESP32-CAM cable photography. */
  CableCamera = 1,
}

/** Byte 2 of a client type 1 frame. */
export enum CameraOp {
  /** device → server: receipt confirmation (byte 3 = the server op confirmed). */
  Confirm = 0,
  /** device → server: upload request; server → device: its reply. */
  UploadRequest = 1,
  /** device → server: data packet; server → device: its ACK / NACK. */
  DataPacket = 2,
  /** device → server: end of transfer; server → device: the missing indices. */
  EndOfTransfer = 3,
  /** server → device: analysis result (extension). */
  AnalysisResult = 4,
}

/** Byte 2 of a client type 0 frame. */
export enum SpecialOp {
  /** `[0, id, 0]` asks whether the server is alive; the reply carries its protocol version. */
  Ping = 0,
}

/**
 * Status byte of the replies to op 1 (upload request) and op 2 (data packet).
 * 0 accepts / acknowledges; anything else refuses / NACKs with this reason.
 */
export enum ReplyStatus {
  /** Upload accepted / packet acknowledged: the only status deployed firmware acts on. */
  Ok = 0,
  /** Too many transfers in progress, reassembly memory exhausted, or the server is shutting down. */
  Busy = 1,
  /** The announced image (N × (P-8), or S) exceeds the configured maximum image size. */
  TooLarge = 2,
  /** N = 0, P outside the configured bounds or without room for payload, or S inconsistent with N and P. */
  BadParameters = 3,
  /** A data packet that belongs to no transfer in progress from this device and address. */
  NoSuchTransfer = 4,
  /** L differs from the bytes present, or a packet other than the last does not carry exactly P-8 bytes. */
  BadLength = 5,
  /** Packet index not below the announced packet count N. */
  BadIndex = 6,
  /** The image could not be stored durably; the device should retry. */
  StorageFailure = 7,
}

/** Status byte of the op-4 analysis result. */
export enum AnalysisStatus {
  /** The model ran: verdict, class, confidence and label are meaningful. */
  Analysed = 0,
  /** The stored image could not be decoded as a picture. */
  Undecodable = 1,
  /** No model loaded, or the analysis failed. */
  Unavailable = 2,
}

/** Verdict byte of the op-4 analysis result. */
export enum Verdict {
  /** The cable looks sound. */
  Pass = 0,
  /** The cable shows a defect. */
  Defect = 1,
  /** The best score is under the configured confidence threshold. */
  Uncertain = 2,
}

/**
 * Count byte k of a reply to a checksum-bearing op 3 (generation C) that lists no index but tells
 * the device to start again (request and whole burst): the gateway has no transfer for this
 * device that the checksum belongs to. Never sent to generation B, whose op 3 carries no checksum.
 */
export const RESTART_TRANSFER_COUNT = 255;

/** Class byte of an op-4 result whose status is not `Analysed`. */
export const NO_CLASS = 255;

/** Confidence is sent in basis points: 10000 = certain. */
export const CONFIDENCE_SCALE = 10_000;

/** Ping reply flags (byte 4 of the ping reply). */
export enum PingFlags {
  /** New uploads are accepted (not shutting down, not saturated). */
  AcceptingUploads = 1 << 0,
  /** A model is loaded: uploaded images will be analysed. */
  AnalysisAvailable = 1 << 1,
}
