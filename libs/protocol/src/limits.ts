/** Facts of the wire format that no configuration can change. */

/** Length of the common header: client type, device id, operation. */
export const HEADER_BYTES = 3;

/** Length of a data packet's header: the common header, the index byte and the 4-byte length. */
export const DATA_HEADER_BYTES = 8;

/** Length of an upload request without the optional image size. */
export const UPLOAD_REQUEST_BASE_BYTES = 8;

/** The optional trailing image size of an upload request is 0 to 8 bytes wide. */
export const MAX_IMAGE_SIZE_FIELD_BYTES = 8;

/** The packet count and the packet index each travel in one byte. */
export const MAX_PACKET_COUNT = 255;

/**
 * Deployed firmware copies a whole reply into a 32-byte buffer: no server → device frame may be
 * longer.
 */
export const MAX_REPLY_BYTES = 32;

/** Header bytes of the missing-packets reply before the indices: type, id, op, count. */
export const MISSING_REPLY_HEADER_BYTES = 4;

/** Most indices one missing-packets reply can list within {@link MAX_REPLY_BYTES}. */
export const MAX_MISSING_PER_REPLY = MAX_REPLY_BYTES - MISSING_REPLY_HEADER_BYTES;

/** Width of generation C's image checksum (a CRC-32), in its op 3 and in the reply to it. */
export const CHECKSUM_BYTES = 4;

/**
 * Most indices a reply to a checksum-bearing op 3 can list: the echoed checksum follows them
 * within {@link MAX_REPLY_BYTES} (4 + 24 + 4 = 32).
 */
export const MAX_MISSING_WITH_CHECKSUM = MAX_REPLY_BYTES - MISSING_REPLY_HEADER_BYTES - CHECKSUM_BYTES;

/** Header bytes of the op-4 analysis result before its label. */
export const ANALYSIS_RESULT_HEADER_BYTES = 8;

/** Longest label an op-4 frame can carry within {@link MAX_REPLY_BYTES}. */
export const MAX_LABEL_BYTES = MAX_REPLY_BYTES - ANALYSIS_RESULT_HEADER_BYTES;

/** Largest payload of a UDP datagram over IPv4. */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;

/**
 * Deployed generation B asks again (request, end of transfer) no sooner than this after asking:
 * its 1000 ms reply timeout, then its 100 ms pause (PROTOCOL.md). Sooner, the same question is
 * the network's copy or another image's.
 */
export const GENERATION_B_RETRY_MS = 1100;
