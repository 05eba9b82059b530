/**
 * `apps/esp-sim`: the ESP32-CAM fleet simulator (`npm run sim`), and the pieces the benchmark
 * reuses to drive a fleet of emulated cameras (`libs/camera-emulator`) and sum up how it went.
 */
export { deviceLink } from './device-link.js';
export { bindAddressFor, layOutFleet } from './fleet-layout.js';
export {
  BYTES_PER_MB,
  distribution,
  fleetSucceeded,
  percentile,
  summarizeFleet,
  type Distribution,
  type FleetSummary,
} from './fleet-summary.js';
export {
  FleetProgress,
  runFleet,
  scaleFor,
  type DeviceUploadResult,
  type SimBuild,
  type SimGeneration,
  type TimeScale,
  type FleetDevice,
  type FleetPlan,
  type FleetRun,
  type UploadRecord,
} from './fleet.js';
export {
  generationC,
  parseUplinkLine,
  resultOfLine,
  type GenerationCBuild,
  type GenerationCResult,
  type UplinkLine,
} from './generation-c.js';
export { runCommand, UPLINK_COMMAND, UplinkDevice, type UplinkDeviceOptions } from './uplink-device.js';
export { LossyRelay, type LossyRelayOptions, type Tamper } from './lossy-relay.js';
export {
  imagesFromFiles,
  readImageFolder,
  syntheticImages,
  type ImageFile,
  type ImageSource,
} from './image-source.js';
export { ProgressDisplay, progressLine, type ProgressStream } from './progress-display.js';
export { EXIT, runSimulator, type SimStreams } from './sim-cli.js';
export {
  parseSimArgs,
  UsageError,
  USAGE,
  type LinkChoice,
  type SimCommand,
  type SimOptions,
} from './sim-options.js';
export { formatMs, formatSummary } from './summary-text.js';
