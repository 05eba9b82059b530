export { selectBackend, wasmBinariesDirectory } from './backend.js';
export type { BackendPreference, SelectBackendOptions, SelectedBackend, Tf } from './backend.js';
export { classify, classifyBatch, classifyImage, imagesToTensor } from './classify.js';
export type { Classification } from './classify.js';
export * from './errors.js';
export {
  LABELS_JSON,
  METADATA_JSON,
  MODEL_JSON,
  resolvePreprocessing,
  TEACHABLE_MACHINE_PREPROCESSING,
  WEIGHTS_BIN,
} from './model-format.js';
export type { CropMode, InputSize, ModelMetadata, PixelScaling, Preprocessing } from './model-format.js';
export { loadModel } from './model-loader.js';
export type { LoadedModel, ModelKind } from './model-loader.js';
export { saveLayersModel } from './model-writer.js';
export type { SavedModelFiles } from './model-writer.js';
export { decodeToModelPixels, DEFAULT_MAX_INPUT_PIXELS, preprocessImage } from './preprocess.js';
export type { PreprocessedImage, PreprocessOptions } from './preprocess.js';
