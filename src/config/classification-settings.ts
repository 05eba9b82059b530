import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsString, Max, Min, MinLength } from 'class-validator';
import { Setting } from './setting.decorator.js';
import {
  parseBoolean,
  parseNumber,
  parseInteger,
  INFERENCE_BACKENDS,
  type InferenceBackendChoice,
} from './setting-values.js';
import { TransferSettings } from './transfer-settings.js';

/** Settings: the classifier and the verdicts it gives. */
export class ClassificationSettings extends TransferSettings {
  @Setting({
    accepts: 'true or false',
    description:
      'Classify every stored image. false: run without a model (every result says analysis unavailable).',
  })
  @Transform(parseBoolean)
  @IsBoolean()
  ANALYSIS_ENABLED = true;

  @Setting({
    accepts: 'a directory path',
    description:
      'TensorFlow.js model to load while MODELS_DIR records no choice: model.json, its weight shards, and labels ' +
      '(metadata.json or labels.json).',
  })
  @IsString()
  @MinLength(1)
  MODEL_DIR = './models/default';

  @Setting({
    accepts: 'a directory path',
    description:
      'The models to choose from, one folder each (model, metadata, report), and the record of the active and ' +
      'shadow ones (active.json), kept across restarts. MODEL_DIR is listed too when it lies outside.',
  })
  @IsString()
  @MinLength(1)
  MODELS_DIR = './models';

  @Setting({
    accepts: 'auto, tensorflow, wasm or cpu',
    description:
      'Inference backend. auto: tfjs-node when installed, else WebAssembly, else plain JavaScript.',
  })
  @IsIn(INFERENCE_BACKENDS)
  INFERENCE_BACKEND: InferenceBackendChoice = 'auto';

  @Setting({
    accepts: 'an integer from 1 to 64',
    description:
      'Worker threads of the classifier process that run the model (images are decoded beside them, two at a time).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(64)
  CLASSIFIER_WORKERS = 1;

  @Setting({
    accepts: 'an integer from 1 to 100000',
    description:
      'Fresh images waiting for the classifier, at most; past it images stay pending on disk and are picked up when the queue drains.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(100_000)
  CLASSIFIER_QUEUE_MAX = 256;

  @Setting({
    accepts: 'an integer from 1 to 64',
    description: 'Most images a worker classifies in one batch.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(64)
  CLASSIFIER_BATCH_MAX = 8;

  @Setting({
    accepts: 'an integer from 0 to 19 (0: leave priorities alone)',
    description:
      'Niceness of the classifier process, every one of its threads (workers, decodes), so that the gateway, whose ' +
      'event loop answers the cameras, gets the cores first. Linux only.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(19)
  BACKGROUND_THREADS_NICE = 10;

  @Setting({
    accepts: 'true or false',
    description:
      "Run the classifier process under Linux's SCHED_IDLE policy (set with chrt): it gets only the CPU time " +
      'the gateway and every other process leave, and yields it at once to any of them that wakes. false: its ' +
      'niceness alone.',
  })
  @Transform(parseBoolean)
  @IsBoolean()
  CLASSIFIER_IDLE_POLICY = true;

  @Setting({
    accepts: 'comma-separated labels',
    description: 'Labels that mean the cable is good (verdict pass); every other label is a defect.',
  })
  @IsString()
  @MinLength(1)
  PASS_LABELS = 'good';

  @Setting({
    accepts: 'a number from 0 to 1',
    description: 'A best score under this gives the verdict uncertain instead of pass or defect.',
  })
  @Transform(parseNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  CONFIDENCE_THRESHOLD = 0.6;

  @Setting({
    accepts: 'a number from 0 to 1',
    description:
      'Share of the passed images the review queue asks a person about, after every uncertain one and every ' +
      'defect (false passes are the costly mistakes); the same images every time (picked by their id).',
  })
  @Transform(parseNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  REVIEW_PASS_SAMPLE = 0.1;

  @Setting({
    accepts: 'an integer from 10 to 600000',
    description:
      'First interval before an unconfirmed analysis result is sent again; it doubles at each try.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(10)
  @Max(600_000)
  RESULT_RETRY_MS = 500;

  @Setting({
    accepts: 'an integer from 1 to 100',
    description: 'Times an analysis result is sent, at most, while the device does not confirm it.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(1)
  @Max(100)
  RESULT_MAX_ATTEMPTS = 5;

  @Setting({
    accepts: 'an integer from 0 to 3650',
    description:
      'At start-up, stored images of this many recent days that have no analysis yet are classified (0: none).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(0)
  @Max(3650)
  ANALYSIS_BACKLOG_DAYS = 7;

  @Setting({
    accepts: 'an integer from 100 to 1000000',
    description:
      'Newest stored images the pages and the API answer from, kept in memory (read from their sidecars at ' +
      'start-up, then kept up to date as images arrive and are analysed).',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(100)
  @Max(1_000_000)
  RESULTS_INDEX_MAX = 10_000;
}
