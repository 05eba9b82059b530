/**
 * The loop from photos to a trusted model, against the real gateway over real UDP: images uploaded
 * by emulated cameras, labelled through the API, a small model trained from the store by the
 * trainer's CLI (16 px, two epochs, wasm), activated while a fleet uploads (no transfer fails, the
 * new records name it), rolled back with the models CLI, then run in shadow mode (recorded, never
 * pushed) and compared on reviewed images; the choice survives a restart, a broken model is refused.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { CameraDevice, FIRMWARE, type FirmwareProfile } from '#camera-emulator';
import { noisyPhoto } from '../libs/vision/src/testing/noisy-photos.js';
import { writeTinyModel } from '../src/classification/testing-model.js';
import type { ImageRecord } from '../src/storage/image-record.js';
import { startAnalysingTestGateway, type TestGateway } from './support/gateway.js';
import { eventually } from './support/prometheus-tools.js';

const run = promisify(execFile);

/** Colours the tiny model tells apart badly and a trained one well: what a review corrects. */
const COLOURS = { good: [40, 70, 210], kink: [60, 200, 60] } as const;
type Label = keyof typeof COLOURS;

interface Listed {
  readonly imageId: string;
  readonly sha256: string;
  readonly status: string;
  readonly modelName: string | null;
  readonly analysedAt: string | null;
  readonly label: string | null;
}

describe('models as versions: review, train, activate, roll back, shadow, compare', () => {
  let root: string;
  let modelsDir: string;
  let storageDir: string;
  let gateway: TestGateway;
  let seed = 0;
  /** The true label of every photo sent, by sha256. */
  const truth = new Map<string, Label>();

  const settings = () => ({
    MODELS_DIR: modelsDir,
    MODEL_DIR: join(modelsDir, 'tiny'),
    STORAGE_DIR: storageDir,
    // Every verdict counts: the tiny model is never very sure.
    CONFIDENCE_THRESHOLD: 0,
  });

  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${gateway.http}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function photoOf(label: Label): Promise<Buffer> {
    const photo = await noisyPhoto(COLOURS[label], ++seed * 7919);
    truth.set(createHash('sha256').update(photo).digest('hex'), label);
    return photo;
  }

  /**
   * Uploads photos from one camera, alternating labels, `count` of them or, given `until`, as long
   * as it says to go on (at most `count`); every upload must succeed. Returns the results.
   */
  async function uploadFrom(
    deviceId: number,
    firmware: FirmwareProfile,
    count: number,
    options: {
      awaitAnalysisMs?: number;
      until?: (uploaded: number) => boolean;
      /** Called with each photo's sha256 before it is sent. */
      onPhoto?: (sha256: string) => void;
      /** Pause between two uploads: a camera paced like a line's. */
      pauseMs?: number;
    } = {},
  ) {
    const camera = await CameraDevice.open({ server: gateway.udp, firmware, deviceId, timeScale: 0.2 });
    try {
      const results = [];
      for (let i = 0; i < count && !(options.until?.(i) ?? false); i++) {
        const photo = await photoOf(i % 2 === 0 ? 'good' : 'kink');
        options.onPhoto?.(createHash('sha256').update(photo).digest('hex'));
        const result = await camera.upload(photo, {
          deadlineMs: 20_000,
          awaitAnalysisMs: options.awaitAnalysisMs,
        });
        assert.equal(result.ok, true, `device ${deviceId} upload ${i}: ${JSON.stringify(result)}`);
        results.push(result);
        if (options.pauseMs) await delay(options.pauseMs);
      }
      return results;
    } finally {
      await camera.close();
    }
  }

  async function listed(): Promise<Listed[]> {
    return (await api<{ items: Listed[] }>('GET', '/api/images?limit=1000')).body.items;
  }

  /** Every image stored, once every one is analysed. */
  function allAnalysed(count: number): Promise<Listed[]> {
    return eventually(
      `${count} images analysed`,
      async () => {
        const images = await listed();
        return images.length >= count && images.every((image) => image.status === 'analysed')
          ? images
          : undefined;
      },
      30_000,
      50,
    );
  }

  async function reviewAll(images: readonly Listed[]): Promise<void> {
    for (const image of images) {
      const answer = await api<ImageRecord>('PUT', `/api/images/${image.imageId}/review`, {
        label: truth.get(image.sha256),
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
  }

  async function sidecar(imageId: string): Promise<ImageRecord> {
    return JSON.parse(await readFile(join(storageDir, `${imageId}.json`), 'utf8')) as ImageRecord;
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'e2e-models-'));
    modelsDir = join(root, 'models');
    storageDir = join(root, 'images');
    await writeTinyModel(join(modelsDir, 'tiny'), ['good', 'kink']);
    await mkdir(join(modelsDir, 'broken'));
    await writeFile(
      join(modelsDir, 'broken', 'model.json'),
      '{"modelTopology": {}, "weightsManifest": [{}]}',
    );
    gateway = await startAnalysingTestGateway(settings());
  });

  after(async () => {
    await gateway?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('takes labels through the API, into the sidecar, refusing labels no model knows unless asked', async () => {
    await uploadFrom(1, FIRMWARE.B, 8);
    const images = await allAnalysed(8);
    const [first] = images;
    const unknown = await api<{ message: string }>('PUT', `/api/images/${first!.imageId}/review`, {
      label: 'frayed',
    });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /not one of the known labels \(good, kink\).*newLabel/);
    const missing = await api<{ message: string }>(
      'PUT',
      '/api/images/2026-01-01/1_127.0.0.1/000000000-00/review',
      {
        label: 'good',
      },
    );
    assert.equal(missing.status, 404);
    const photoBefore = await readFile(join(storageDir, `${first!.imageId}.jpg`));
    await reviewAll(images);
    const record = await sidecar(first!.imageId);
    assert.equal(record.review?.label, truth.get(first!.sha256));
    assert.ok(Date.parse(record.review!.at) > 0);
    assert.ok(
      (await readFile(join(storageDir, `${first!.imageId}.jpg`))).equals(photoBefore),
      'the JPEG untouched',
    );
    const next = await api<{ image: unknown; remaining: Record<string, number> }>('GET', '/api/review/next');
    assert.equal(next.body.image, null, 'every image reviewed');
  });

  it('trains a small model from the store, and activates it while a fleet uploads, no transfer failing', async () => {
    const trained = await run(
      process.execPath,
      [
        'dist/apps/trainer/src/main.js',
        '--store',
        storageDir,
        '--out',
        join(modelsDir, 'candidate'),
        '--compare',
        join(modelsDir, 'tiny'),
        '--size',
        '16',
        '--epochs',
        '2',
        '--batch-size',
        '4',
        '--backend',
        'wasm',
      ],
      { timeout: 60_000 },
    );
    assert.match(trained.stdout, /store .*: 8 reviewed images/);
    assert.match(
      await readFile(join(modelsDir, 'candidate', 'report.md'), 'utf8'),
      /## Against the model in use/,
    );

    // Each camera, one photo a second or so, goes on until it has sent two after the swap returned
    // (loading a model takes seconds on a busy machine); at most 40 each.
    let activated = false;
    const sentAfterSwap = new Set<string>();
    const before = (await listed()).length;
    const fleet = Promise.all(
      [FIRMWARE.A_ETHERNET, FIRMWARE.B, FIRMWARE.A_ETHERNET, FIRMWARE.B].map((firmware, index) => {
        let atSwap: number | undefined;
        return uploadFrom(20 + index, firmware, 40, {
          pauseMs: 800,
          until: (uploaded) => {
            if (!activated) return false;
            atSwap ??= uploaded;
            return uploaded >= atSwap + 2;
          },
          onPhoto: (sha256) => {
            if (activated) sentAfterSwap.add(sha256);
          },
        });
      }),
    );
    await eventually(
      'the fleet under way',
      async () => ((await listed()).length >= before + 4 ? true : undefined),
      20_000,
      20,
    );
    const activation = await api<{ active: string; previous: string; running: { active: { name: string } } }>(
      'POST',
      '/api/models/candidate/activate',
    );
    activated = true;
    assert.equal(activation.status, 200, JSON.stringify(activation.body));
    assert.deepEqual([activation.body.active, activation.body.previous], ['candidate', 'tiny']);
    assert.equal(activation.body.running.active.name, 'candidate');
    const uploads = (await fleet).flat().length;
    const total = before + uploads;
    const images = await allAnalysed(total);
    assert.equal(images.length, total);
    assert.ok(sentAfterSwap.size >= 8, `${sentAfterSwap.size} photos sent after the swap`);
    const afterSwap = images.filter((image) => sentAfterSwap.has(image.sha256));
    assert.equal(afterSwap.length, sentAfterSwap.size, 'every photo sent after the swap stored');
    assert.deepEqual(
      afterSwap
        .filter((image) => image.modelName !== 'candidate')
        .map((image) => [image.imageId, image.modelName]),
      [],
      'every record of a photo sent after the swap names the new model',
    );
    assert.ok(
      images.filter((image) => image.modelName === 'tiny').length >= before,
      'the images classified before the swap name the model that classified them',
    );
    const metrics = await (await fetch(`${gateway.http}/metrics`)).text();
    const completed = /cable_inspector_transfers_total\{outcome="completed"\} (\d+)/.exec(metrics);
    assert.equal(Number(completed?.[1]), total, 'every transfer completed');
    assert.doesNotMatch(
      metrics,
      /cable_inspector_transfers_total\{outcome="(failed|expired|aborted)"\} [1-9]/,
    );
    assert.match(
      metrics,
      /cable_inspector_model_info\{role="active",model="candidate",model_id="[0-9a-f]{12}"\} 1/,
    );
  });

  it('refuses a broken model with a clear error, the active one kept', async () => {
    const refused = await api<{ message: string }>('POST', '/api/models/broken/activate');
    assert.equal(refused.status, 422);
    assert.match(refused.body.message, /model broken could not be loaded from .*broken/);
    assert.equal((await api<{ message: string }>('POST', '/api/models/nowhere/activate')).status, 404);
    const models = await api<{ active: string; running: { active: { name: string } } }>('GET', '/api/models');
    assert.deepEqual([models.body.active, models.body.running.active.name], ['candidate', 'candidate']);
  });

  it('rolls back with the models CLI: the previous model is active again', async () => {
    const cli = await run(process.execPath, [
      'dist/apps/models-cli/src/main.js',
      'rollback',
      '--gateway',
      gateway.http,
    ]);
    assert.match(cli.stdout, /^tiny is active/);
    const models = await api<{ active: string; previous: string }>('GET', '/api/models');
    assert.deepEqual([models.body.active, models.body.previous], ['tiny', 'candidate']);
  });

  it('runs a candidate in shadow mode: recorded beside the verdict, never pushed; compared on reviewed images', async () => {
    const shadow = await api<{ shadow: string }>('POST', '/api/models/candidate/shadow');
    assert.equal(shadow.status, 200, JSON.stringify(shadow.body));
    const before = new Set((await listed()).map((image) => image.imageId));
    const results = await uploadFrom(40, FIRMWARE.B, 6, { awaitAnalysisMs: 10_000 });
    const images = (await allAnalysed(before.size + 6)).filter((image) => !before.has(image.imageId));
    assert.equal(images.length, 6);
    for (const image of images) {
      const record = await sidecar(image.imageId);
      const analysis = record.analysis as { model: string; label: string };
      const shadowed = record.shadow as { model: string; label: string; status: string };
      assert.equal(analysis.model, 'tiny');
      assert.deepEqual([shadowed.model, shadowed.status], ['candidate', 'analysed']);
      assert.equal(image.modelName, 'tiny', 'the API and feeds give the active verdict');
    }
    // What each camera was told is the active model's verdict.
    const labels = new Set(
      (await Promise.all(images.map((image) => sidecar(image.imageId)))).map(
        (r) => (r.analysis as { label: string }).label,
      ),
    );
    for (const result of results)
      assert.ok(result.analysis?.received && labels.has(result.analysis.result.label));
    await reviewAll(images);
    const comparison = await api<{
      pairs: {
        active: string;
        shadow: string;
        images: number;
        reviewed: number;
        agreement: number;
        scores: { model: string; accuracy: number }[];
      }[];
    }>('GET', '/api/models/compare');
    const [pair] = comparison.body.pairs;
    assert.deepEqual([pair!.active, pair!.shadow, pair!.images, pair!.reviewed], ['tiny', 'candidate', 6, 6]);
    assert.ok(pair!.agreement >= 0 && pair!.agreement <= 1);
    assert.deepEqual(
      pair!.scores.map((score) => score.model),
      ['tiny', 'candidate'],
    );
    assert.ok(pair!.scores.every((score) => score.accuracy >= 0 && score.accuracy <= 1));
  });

  it('keeps the choice across a restart', async () => {
    await gateway.close();
    gateway = await startAnalysingTestGateway(settings());
    const models = await api<{
      active: string;
      shadow: string;
      running: { active: { name: string }; shadow: { name: string } };
    }>('GET', '/api/models');
    assert.deepEqual(
      [
        models.body.active,
        models.body.shadow,
        models.body.running.active.name,
        models.body.running.shadow.name,
      ],
      ['tiny', 'candidate', 'tiny', 'candidate'],
    );
  });
});
