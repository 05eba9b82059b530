import { crc32 } from 'node:zlib';
import { FLOW_MODES, type CompletedTransfer } from '../common/transfer-model.js';

/**
 * The records of the spool's completed logs: one per stored transfer, appended before its final
 * reply, so that after a restart late duplicates are still answered (and recognised by their
 * bytes) and nothing is stored twice.
 *
 *   record: 'C' | u32 json length | u32 crc32(json) | json
 *   json:   the transfer's descriptor, imageId, storedAt, imageChecksum, and packetDigests as the
 *           base64 of their big-endian bytes
 */
const COMPLETED_TAG = 0x43;
const FIXED_BYTES = 1 + 4 + 4;

type CompletionJson = Omit<CompletedTransfer, 'packetDigests'> & { readonly packetDigests: string };

function digestsToBase64(digests: Uint32Array): string {
  const bytes = Buffer.allocUnsafe(digests.length * 4);
  for (let index = 0; index < digests.length; index++) bytes.writeUInt32BE(digests[index]!, index * 4);
  return bytes.toString('base64');
}

function digestsFromBase64(text: string): Uint32Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  const digests = new Uint32Array(bytes.length / 4);
  for (let index = 0; index < digests.length; index++) digests[index] = bytes.readUInt32BE(index * 4);
  return digests;
}

export function encodeCompletion(completion: CompletedTransfer): Buffer {
  const json: CompletionJson = { ...completion, packetDigests: digestsToBase64(completion.packetDigests) };
  const body = Buffer.from(JSON.stringify(json), 'utf8');
  const record = Buffer.allocUnsafe(FIXED_BYTES + body.length);
  record[0] = COMPLETED_TAG;
  record.writeUInt32BE(body.length, 1);
  record.writeUInt32BE(crc32(body), 5);
  body.copy(record, FIXED_BYTES);
  return record;
}

function completionOf(value: unknown): CompletedTransfer | undefined {
  const json = value as CompletionJson;
  if (
    typeof json !== 'object' ||
    json === null ||
    typeof json.transferId !== 'string' ||
    typeof json.imageId !== 'string' ||
    typeof json.remote?.address !== 'string' ||
    !Number.isInteger(json.remote?.port) ||
    !Number.isInteger(json.deviceId) ||
    !Number.isInteger(json.clientType) ||
    !Number.isInteger(json.packetCount) ||
    !Number.isInteger(json.maxPacketSize) ||
    !FLOW_MODES.includes(json.flowMode) ||
    !Number.isFinite(json.storedAt) ||
    !Number.isInteger(json.imageChecksum) ||
    typeof json.packetDigests !== 'string'
  )
    return undefined;
  const packetDigests = digestsFromBase64(json.packetDigests);
  if (packetDigests?.length !== json.packetCount) return undefined;
  return { ...json, packetDigests };
}

/** A completed log read back. */
export interface CompletedLogContents {
  readonly completions: CompletedTransfer[];
  /** Bytes read as whole records; less than the file when its tail is damaged. */
  readonly validBytes: number;
  /** Records that checked out but are not of a shape this version knows (skipped). */
  readonly unknownRecords: number;
}

/**
 * Reads a completed log up to its first record that does not check out (an append cut short by
 * a crash, or damage); `validBytes` tells where that was.
 */
export function decodeCompletedLog(file: Buffer): CompletedLogContents {
  const completions: CompletedTransfer[] = [];
  let offset = 0;
  let unknownRecords = 0;
  while (offset + FIXED_BYTES <= file.length && file[offset] === COMPLETED_TAG) {
    const end = offset + FIXED_BYTES + file.readUInt32BE(offset + 1);
    if (end > file.length) break;
    const body = file.subarray(offset + FIXED_BYTES, end);
    if (crc32(body) !== file.readUInt32BE(offset + 5)) break;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      break;
    }
    const completion = completionOf(parsed);
    if (completion) completions.push(completion);
    else unknownRecords++;
    offset = end;
  }
  return { completions, validBytes: offset, unknownRecords };
}
