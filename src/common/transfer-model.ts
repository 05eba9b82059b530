import { DATA_HEADER_BYTES, type UploadRequest } from '#protocol';

/**
 * How the device paces its data packets, learnt from the traffic:
 * - stop-and-wait (generation A): one packet at a time, each waiting for its ACK;
 * - burst (generations B and C): every packet at once, then end of transfer; no per-packet ACK;
 * - probing: not known yet.
 */
export type FlowMode = (typeof FLOW_MODES)[number];

/** Every flow mode, in the order the spool numbers them. */
export const FLOW_MODES = ['probing', 'stop-and-wait', 'burst'] as const;

/** Where a datagram came from. */
export interface RemoteEndpoint {
  readonly address: string;
  readonly port: number;
  /**
   * The gateway's own address the datagram was sent to, when the transport knows it (one socket
   * per address): frames pushed later must leave from it, or the Ethernet firmware ignores them.
   */
  readonly localAddress?: string;
}

/** The parameters a transfer was accepted with: N, P and, when the device sent it, S. */
export interface TransferParameters {
  readonly packetCount: number;
  readonly maxPacketSize: number;
  readonly imageSize: number | null;
}

/**
 * One transfer, as every part of the gateway records it: the spool's header, the completed
 * log's record and the image's sidecar all start from this.
 */
export interface TransferDescriptor extends TransferParameters {
  /** Unique id of this transfer; names its spool records and its stored image. */
  readonly transferId: string;
  readonly clientType: number;
  readonly deviceId: number;
  readonly remote: RemoteEndpoint;
  readonly acceptedAt: number;
  readonly flowMode: FlowMode;
}

export function parametersOf(request: UploadRequest): TransferParameters {
  return {
    packetCount: request.packetCount,
    maxPacketSize: request.maxPacketSize,
    imageSize: request.imageSize?.value ?? null,
  };
}

export function sameParameters(a: TransferParameters, b: TransferParameters): boolean {
  return (
    a.packetCount === b.packetCount && a.maxPacketSize === b.maxPacketSize && a.imageSize === b.imageSize
  );
}

/** P-8: the payload of every packet but the last. */
export function payloadPerPacket(parameters: TransferParameters): number {
  return parameters.maxPacketSize - DATA_HEADER_BYTES;
}

/**
 * Length every packet must declare: P-8 for all but the last; for the last, exactly what S leaves
 * when S was sent, otherwise anything from 1 to P-8.
 */
export function lengthIsValid(parameters: TransferParameters, index: number, length: number): boolean {
  const payload = payloadPerPacket(parameters);
  if (index !== parameters.packetCount - 1) return length === payload;
  if (parameters.imageSize !== null)
    return length === parameters.imageSize - payload * (parameters.packetCount - 1);
  return length >= 1 && length <= payload;
}

/** Whether a packet of `length` fits transfer `parameters` at `index` (index and length). */
export function fitsTransfer(parameters: TransferParameters, index: number, length: number): boolean {
  return index < parameters.packetCount && lengthIsValid(parameters, index, length);
}

/**
 * What is remembered of a stored transfer, without its payload: enough to answer its device's
 * late questions the same way (a lost final ACK brings the last packet again, a lost k = 0 the
 * end of transfer) without storing twice, and to recognise a late copy of one of its packets by
 * its bytes (a CRC-32 a packet), so that it is never taken for a packet of the next image.
 */
export interface CompletedTransfer extends TransferDescriptor {
  readonly imageId: string;
  readonly storedAt: number;
  /** CRC-32 of each packet's payload, in order. */
  readonly packetDigests: Uint32Array;
  /** CRC-32 of the whole image (generation C's end-of-transfer check). */
  readonly imageChecksum: number;
}
