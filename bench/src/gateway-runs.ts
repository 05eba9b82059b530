import { join } from 'node:path';
import type { BenchContext } from './bench-context.js';
import { formatProfile, summarizeProfiles } from './cpu-profile.js';
import { startGatewayChild, type GatewayChild } from './gateway-child.js';

/** Settings of the production-like gateway: analysis on with the run's model, spool on. */
export function productionSettings(context: BenchContext): Record<string, string> {
  return {
    ANALYSIS_ENABLED: 'true',
    MODEL_DIR: context.assets.model.dir,
    INFERENCE_BACKEND: context.assets.bestBackend,
    SPOOL_ENABLED: 'true',
  };
}

async function startGateway(
  context: BenchContext,
  name: string,
  settings: Record<string, string>,
): Promise<GatewayChild> {
  const slug = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  const startedAt = performance.now();
  const gateway = await startGatewayChild(name, join(context.workDir, slug), settings, context.profile);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  context.progress(`  gateway "${name}" ready in ${seconds} s (pid ${gateway.process.pid})`);
  return gateway;
}

/** Stops a gateway child; when profiling, summarizes the CPU profile it wrote and keeps it for the report. */
export async function stopGateway(context: BenchContext, gateway: GatewayChild): Promise<void> {
  const code = await gateway.process.stop();
  if (code !== 0 && code !== null) {
    context.note(`gateway "${gateway.process.name}" exited with code ${code}: ${gateway.process.logTail()}`);
  }
  if (!gateway.cpuProfileDir) return;
  for (const summary of await summarizeProfiles(`gateway: ${gateway.process.name}`, gateway.cpuProfileDir)) {
    context.addProfile(summary);
    context.progress(formatProfile(summary));
  }
}

/**
 * Runs `body` against a gateway child with `settings`: a fresh one, stopped afterwards; or, when
 * the scale shares gateways, the one already running with the same settings (stopped at the end
 * of the run by {@link stopSharedGateways}).
 */
export async function withGateway<T>(
  context: BenchContext,
  name: string,
  settings: Record<string, string>,
  body: (gateway: GatewayChild) => Promise<T>,
): Promise<T> {
  if (context.scale.shareGateways) {
    const key = JSON.stringify(settings);
    let shared = context.sharedGateways.get(key);
    if (!shared) {
      shared = await startGateway(context, name, settings);
      context.sharedGateways.set(key, shared);
    }
    return body(shared);
  }
  const gateway = await startGateway(context, name, settings);
  try {
    return await body(gateway);
  } finally {
    await stopGateway(context, gateway);
  }
}

/** Stops the gateways kept between sections. */
export async function stopSharedGateways(context: BenchContext): Promise<void> {
  const gateways = [...context.sharedGateways.values()];
  context.sharedGateways.clear();
  for (const gateway of gateways) await stopGateway(context, gateway);
}
