/**
 * Errors raised by the vision library. Each failure has its own small class so callers can branch on
 * `instanceof` (or on `code`) instead of parsing messages; every message names the file or directory
 * involved.
 */
export abstract class VisionError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Something about a model directory prevents loading it; `path` is the offending file or directory. */
export abstract class ModelLoadError extends VisionError {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ModelDirectoryNotFoundError extends ModelLoadError {
  readonly code = 'MODEL_DIR_NOT_FOUND';

  constructor(path: string, options?: { cause?: unknown }) {
    super(path, `model directory not found: ${path}`, options);
  }
}

export class ModelJsonNotFoundError extends ModelLoadError {
  readonly code = 'MODEL_JSON_NOT_FOUND';

  constructor(path: string, options?: { cause?: unknown }) {
    super(path, `model.json not found: ${path}`, options);
  }
}

/** A JSON file (model.json, metadata.json, labels.json) is not valid JSON or lacks required fields. */
export class InvalidModelFileError extends ModelLoadError {
  readonly code = 'MODEL_FILE_INVALID';

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(path, `invalid model file ${path}: ${reason}`, options);
  }
}

export class WeightShardNotFoundError extends ModelLoadError {
  readonly code = 'WEIGHT_SHARD_NOT_FOUND';

  constructor(path: string, options?: { cause?: unknown }) {
    super(path, `weight shard listed in model.json not found: ${path}`, options);
  }
}

/** The shards hold fewer or more bytes than the weightsManifest describes. */
export class WeightDataSizeError extends ModelLoadError {
  readonly code = 'WEIGHT_DATA_SIZE';

  constructor(path: string, expectedBytes: number, actualBytes: number) {
    super(
      path,
      `weight shards of ${path} hold ${actualBytes} bytes, weightsManifest expects ${expectedBytes}`,
    );
  }
}

export class LabelsNotFoundError extends ModelLoadError {
  readonly code = 'LABELS_NOT_FOUND';

  constructor(dir: string) {
    super(dir, `no labels for model in ${dir}: expected metadata.json with "labels" or labels.json`);
  }
}

export class LabelCountMismatchError extends ModelLoadError {
  readonly code = 'LABEL_COUNT_MISMATCH';

  constructor(
    path: string,
    readonly labelCount: number,
    readonly outputSize: number,
  ) {
    super(path, `${path} lists ${labelCount} labels but the model outputs ${outputSize} scores`);
  }
}

/** The model loads but cannot be used as an image classifier (input or output shape). */
export class UnsupportedModelError extends ModelLoadError {
  readonly code = 'MODEL_UNSUPPORTED';

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(path, `unsupported model ${path}: ${reason}`, options);
  }
}

/** The bytes handed to preprocessing are not an image sharp can decode (corrupt, truncated, not an image). */
export class UndecodableImageError extends VisionError {
  readonly code = 'UNDECODABLE_IMAGE';

  constructor(
    readonly byteLength: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot decode image (${byteLength} bytes): ${reason}`, options);
  }
}

/** A preprocessed input does not have the size the model expects. */
export class InputShapeMismatchError extends VisionError {
  readonly code = 'INPUT_SHAPE_MISMATCH';

  constructor(expected: string, actual: string) {
    super(`model expects input ${expected}, got ${actual}`);
  }
}

/** No requested TensorFlow.js backend could be initialised. */
export class BackendUnavailableError extends VisionError {
  readonly code = 'BACKEND_UNAVAILABLE';

  constructor(readonly attempts: readonly BackendAttempt[]) {
    super(
      `no TensorFlow.js backend could be initialised (${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')})`,
    );
  }
}

export interface BackendAttempt {
  readonly backend: string;
  readonly reason: string;
}
