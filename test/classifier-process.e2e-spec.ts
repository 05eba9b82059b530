import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CameraDevice, FIRMWARE } from '#camera-emulator';
import { AnalysisStatus, DATA_HEADER_BYTES, PingFlags } from '#protocol';
import { childProcessIds } from '../bench/src/process-stats.js';
import { writeTinyModel } from '../src/classification/testing-model.js';
import { GatewayProcess } from './support/gateway-process.js';
import { RawPeer } from './support/raw-peer.js';
import { readStoredImages } from './support/stored-images.js';
import { analysisOf, recordedAnalysis, storeUnanalysed } from './support/unanalysed-images.js';

const FIXTURE = join('test', 'fixtures', 'esp32cam-xga.jpg');

/** Loading the model in the classifier process takes a few seconds on a busy machine. */
const START_TIMEOUT_MS = 60_000;

/** Gone, or a zombie waiting for its new parent to reap it. */
function processGone(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    const fields = readFileSync(stat, 'utf8');
    return fields[fields.lastIndexOf(')') + 2] === 'Z';
  } catch {
    return true;
  }
}

async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function readiness(gateway: GatewayProcess): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${gateway.httpPort}/health/ready`);
  return { status: response.status, body: await response.text() };
}

async function queueDepthOf(gateway: GatewayProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
  return Number(/^cable_inspector_classifier_queue_depth (\d+)/m.exec(text)?.[1] ?? 0);
}

/** The gateway's one child: its classifier process. */
function classifierOf(gateway: GatewayProcess): number {
  const children = childProcessIds(gateway.pid!);
  assert.equal(children.length, 1, `children of the gateway: ${children.join(', ')}`);
  return children[0]!;
}

describe('the classifier process (a child of the gateway process)', () => {
  let root: string;
  let modelDir: string;
  let photo: Buffer;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'classifier-process-e2e-'));
    modelDir = join(root, 'model');
    await writeTinyModel(modelDir, ['good', 'kink']);
    photo = await readFile(FIXTURE);
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function gatewayIn(folder: string, settings: Record<string, string> = {}): Promise<GatewayProcess> {
    return GatewayProcess.create({
      STORAGE_DIR: join(root, folder),
      ANALYSIS_ENABLED: 'true',
      MODEL_DIR: modelDir,
      INFERENCE_BACKEND: 'wasm',
      ...settings,
    });
  }

  it('dies: logged, analysis unavailable in readiness and pings, restarted, and what was stored meanwhile gets its verdict', async () => {
    const gateway = await gatewayIn('killed-child');
    await gateway.start(START_TIMEOUT_MS);
    const peer = await RawPeer.open();
    const lastPacket = Math.ceil(photo.length / (FIRMWARE.A_ETHERNET.maxPacketSize - DATA_HEADER_BYTES)) - 1;
    let readinessAtLastAck: Promise<{ status: number }> | undefined;
    const camera = await CameraDevice.open({
      server: gateway.udp,
      firmware: FIRMWARE.A_ETHERNET,
      timeScale: 0.1,
      observer: (event) => {
        if (event.type === 'ack' && event.index === lastPacket) readinessAtLastAck ??= readiness(gateway);
      },
    });
    try {
      const flags = async () => (await peer.ask([0, 1, 0], gateway.udp))![4]! & PingFlags.AnalysisAvailable;
      assert.equal(await flags(), PingFlags.AnalysisAvailable);
      const first = classifierOf(gateway);
      process.kill(first, 'SIGKILL');
      await until('readiness fails', async () => (await readiness(gateway)).status === 503);
      const down = JSON.parse((await readiness(gateway)).body) as { error: { model?: { message: string } } };
      assert.match(
        down.error.model?.message ?? '',
        /^classifier process exited \(signal SIGKILL\); restarting in \d+ ms$/,
      );
      assert.equal(await flags(), 0, 'the ping says analysis is unavailable');

      const result = await camera.upload(photo, { awaitAnalysisMs: 10_000 });
      assert.equal(result.ok, true);
      assert.equal(
        (await readinessAtLastAck)?.status,
        503,
        'the image was stored while the process was down',
      );
      assert.ok(result.analysis?.received, 'the verdict came once the process was back');
      assert.equal(result.analysis.result.status, AnalysisStatus.Analysed);

      assert.equal((await readiness(gateway)).status, 200);
      assert.equal(await flags(), PingFlags.AnalysisAvailable);
      assert.notEqual(classifierOf(gateway), first, 'a new process');
      assert.match(gateway.output, /"msg":"classifier process died: analysis unavailable until it is back"/);
      assert.match(gateway.output, /"msg":"classifier process restarted: analysis available again"/);
      const [stored] = await readStoredImages(join(root, 'killed-child'));
      assert.equal((await recordedAnalysis(stored!.sidecarPath))?.status, 'analysed');
    } finally {
      await camera.close();
      await peer.close();
      await gateway.kill();
    }
  });

  it('dies in the middle of a backlog: every image is classified once it is back, none lost', async () => {
    const storageDir = join(root, 'backlog');
    const sidecars = await storeUnanalysed(storageDir, photo, 80);
    const gateway = await gatewayIn('backlog');
    await gateway.start(START_TIMEOUT_MS);
    try {
      const analysed = async () =>
        (await Promise.all(sidecars.map(analysisOf))).filter((analysis) => analysis?.status === 'analysed')
          .length;
      await until('some images are analysed', async () => (await analysed()) > 0);
      process.kill(classifierOf(gateway), 'SIGKILL');
      const atKill = await analysed();
      await until('every image is analysed', async () => (await analysed()) === sidecars.length, 60_000);
      assert.ok(atKill < sidecars.length, `the process died with ${sidecars.length - atKill} images to go`);
    } finally {
      await gateway.kill();
    }
  });

  it('SIGTERM: the classifier process works through its queue within the grace, then stops with the gateway', async () => {
    const storageDir = join(root, 'sigterm');
    const sidecars = await storeUnanalysed(storageDir, photo, 40);
    const gateway = await gatewayIn('sigterm', { SHUTDOWN_GRACE_MS: '30000', CLASSIFIER_BATCH_MAX: '1' });
    await gateway.start(START_TIMEOUT_MS);
    const classifier = classifierOf(gateway);
    await until('the classifier has its backlog queued', async () => (await queueDepthOf(gateway)) > 0);
    const exited = gateway.terminate();
    const analysed = async () =>
      (await Promise.all(sidecars.map(analysisOf))).filter((analysis) => analysis?.status === 'analysed')
        .length;
    const atSigterm = await analysed();
    assert.equal(await exited, 0);
    assert.ok(atSigterm < sidecars.length, `${sidecars.length - atSigterm} images were still to analyse`);
    assert.equal(await analysed(), sidecars.length, 'every one analysed and recorded before the exit');
    assert.ok(processGone(classifier), 'no classifier process survives the gateway');
  });

  it('stopped (SIGSTOP): the images handed to it count as waiting in the queue depth, and get their verdicts once it goes on', async () => {
    const gateway = await gatewayIn('stopped-child');
    await gateway.start(START_TIMEOUT_MS);
    const classifier = classifierOf(gateway);
    const cameras = await Promise.all(
      [1, 2, 3].map((deviceId) =>
        CameraDevice.open({ server: gateway.udp, firmware: FIRMWARE.A_ETHERNET, deviceId, timeScale: 0.1 }),
      ),
    );
    process.kill(classifier, 'SIGSTOP');
    try {
      const uploads = cameras.map((camera) => camera.upload(photo, { awaitAnalysisMs: 20_000 }));
      // A process that reads nothing reports nothing: the gateway counts what it handed over.
      await until('the three images show as waiting', async () => (await queueDepthOf(gateway)) === 3);
      process.kill(classifier, 'SIGCONT');
      const results = await Promise.all(uploads);
      for (const result of results) {
        assert.equal(result.ok, true);
        assert.equal(result.analysis?.received && result.analysis.result.status, AnalysisStatus.Analysed);
      }
      await until('the queue is empty again', async () => (await queueDepthOf(gateway)) === 0);
    } finally {
      process.kill(classifier, 'SIGCONT');
      await Promise.all(cameras.map((camera) => camera.close()));
      await gateway.terminate();
    }
  });

  it('kill -9 of the gateway: its classifier process notices and exits by itself', async () => {
    const gateway = await gatewayIn('sigkill');
    await gateway.start(START_TIMEOUT_MS);
    const classifier = classifierOf(gateway);
    await gateway.kill();
    await until('the orphaned classifier process exits', () => processGone(classifier), 5000);
  });
});
