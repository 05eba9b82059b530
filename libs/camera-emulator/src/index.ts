/**
 * `libs/camera-emulator`: byte-exact emulations of the ESP32-CAM firmware in the field
 * (generation A stop-and-wait, generation B burst, and the seed variant that sends S), each device
 * on its own UDP socket behind a seeded lossy link. No Nest: used by the end-to-end tests, the
 * fleet simulator and the benchmark.
 */
export { CameraDevice, type CameraDeviceOptions, type UploadOptions } from './camera-device.js';
export type { DeviceEvent, DeviceObserver, TimeoutPhase } from './device-events.js';
export type { DatagramListener, DeviceTransport, Endpoint, TransportFactory } from './device-socket.js';
export { realClock, type EmulatorClock } from './emulator-clock.js';
export {
  BURST_GIVE_UP_AFTER,
  CHIP_BUFFER_BYTES,
  CHIP_HEADER_BYTES,
  ETHERNET_PACKET_SIZE,
  FACTORY_DEVICE_ID,
  FIRMWARE,
  FIRMWARE_PORT,
  REPLY_BUFFER_BYTES,
  SEED_IMAGE_SIZE_BYTES,
  WIFI_PACKET_SIZE,
  isStopAndWait,
  type Build,
  type FirmwareProfile,
  type Generation,
  type ReplyReadMode,
} from './firmware.js';
export {
  LossyLink,
  symmetricLink,
  type LinkConditions,
  type LinkCounters,
  type LinkDirection,
  type LinkOptions,
  type LinkDelay,
  type LinkScript,
} from './lossy-link.js';
export { dataPacket, maxImageSize, planPackets, type PacketPlan } from './packet-plan.js';
export { ReceiveBuffer, type ReceiveBufferOptions } from './receive-buffer.js';
export {
  isAnalysisResult,
  isUploadAccepted,
  judgeDataReply,
  readMissingList,
  type DataReplyVerdict,
  type MissingList,
} from './reply-checks.js';
export { screenReply, type ScreenContext } from './reply-screen.js';
export { SeededRandom } from './seeded-random.js';
export { syntheticJpeg } from './synthetic-jpeg.js';
export { FIRMWARE_TIMING, scaleTiming, type FirmwareTiming } from './timing.js';
export type { AnalysisOutcome, GiveUpReason, UploadResult } from './upload-result.js';
export { VirtualNetwork, type NetworkObserver, type ServerListener } from './virtual/virtual-network.js';
export { settleImmediates, VirtualTime, type Settle } from './virtual/virtual-time.js';
