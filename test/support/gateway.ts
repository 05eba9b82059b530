import 'reflect-metadata';
import type { Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Endpoint } from '#camera-emulator';
import { UdpServer } from '#udp-transport';
import { writeTinyModel } from '../../src/classification/testing-model.js';
import { validateEnvironment } from '../../src/config/index.js';
import { startGateway } from '../../src/gateway.js';

/** A gateway started for one test file, on free ports of 127.0.0.1, storing into a temporary directory. */
export interface TestGateway {
  readonly app: INestApplication;
  /** Where the cameras send: 127.0.0.1 and the UDP port the system chose. */
  readonly udp: Endpoint;
  readonly storageDir: string;
  /** `http://127.0.0.1:<port>` of its HTTP side. */
  readonly http: string;
  /** Closes the gateway and removes the storage directory. */
  close(): Promise<void>;
}

/**
 * Starts the real gateway (`startGateway`, HTTP and UDP) the way `main` does, with the given
 * settings over the test defaults: both sides on 127.0.0.1 port 0, a fresh temporary STORAGE_DIR,
 * quiet logs, no model, a short shutdown grace.
 */
export async function startTestGateway(settings: Record<string, string | number> = {}): Promise<TestGateway> {
  const root = await mkdtemp(join(tmpdir(), 'cable-inspector-e2e-'));
  const storageDir = join(root, 'images');
  try {
    return await startIn(root, storageDir, settings);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/** A test gateway that analyses what it stores, with a tiny model (labels good and kink) on wasm. */
export async function startAnalysingTestGateway(
  settings: Record<string, string | number> = {},
): Promise<TestGateway> {
  const root = await mkdtemp(join(tmpdir(), 'cable-inspector-e2e-'));
  try {
    await writeTinyModel(join(root, 'model'), ['good', 'kink']);
    return await startIn(root, join(root, 'images'), {
      ANALYSIS_ENABLED: 'true',
      MODEL_DIR: join(root, 'model'),
      INFERENCE_BACKEND: 'wasm',
      ...settings,
    });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(
  root: string,
  storageDir: string,
  settings: Record<string, string | number>,
): Promise<TestGateway> {
  const env = validateEnvironment({
    UDP_HOST: '127.0.0.1',
    UDP_PORT: 0,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: 0,
    STORAGE_DIR: storageDir,
    LOG_LEVEL: 'error',
    // No model in the tests: every result says "analysis unavailable", still pushed as op 4.
    ANALYSIS_ENABLED: 'false',
    // Tests share the machine with other work, which SCHED_IDLE would let starve the classifier
    // for seconds; its niceness keeps it a share (the policy itself: classifier-supervisor.spec).
    CLASSIFIER_IDLE_POLICY: 'false',
    SHUTDOWN_GRACE_MS: 1000,
    ...settings,
  });
  const gateway = await startGateway(env);
  const port = gateway.app.get(UdpServer).unwrap<Socket>().address().port;
  return {
    app: gateway.app,
    udp: { address: '127.0.0.1', port },
    storageDir,
    http: `http://127.0.0.1:${(gateway.app.getHttpServer().address() as { port: number }).port}`,
    async close() {
      try {
        await gateway.stop('test');
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}
