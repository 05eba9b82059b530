import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeviceRegistry } from './device-registry.js';
import type { ImageSummary } from './image-summary.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 27, 12);

function image(n: number, verdict: ImageSummary['verdict'], deviceKey = '3_10.0.0.5'): ImageSummary {
  return {
    imageId: `2026-11-27/${deviceKey}/${String(n).padStart(9, '0')}-a`,
    sha256: '',
    deviceId: Number(deviceKey.split('_')[0]),
    deviceKey,
    address: deviceKey.split('_')[1]!,
    port: 1,
    flowMode: 'burst',
    storedAt: '',
    size: 1,
    packets: 1,
    status: verdict === null ? 'pending' : 'analysed',
    verdict,
    label: null,
    confidence: null,
    model: null,
    modelName: null,
    analysedAt: null,
  };
}

describe('DeviceRegistry: every camera seen', () => {
  it('tells cameras that share an id apart by their address', () => {
    const registry = new DeviceRegistry();
    registry.observe(image(1, 'pass', '99_10.0.0.1'), NOW);
    registry.observe(image(2, 'pass', '99_10.0.0.2'), NOW);
    assert.equal(registry.size, 2);
  });

  it('counts verdicts, moving an image from without verdict to its verdict once analysed', () => {
    const registry = new DeviceRegistry();
    const stored = image(1, null);
    registry.observe(stored, NOW);
    assert.equal(registry.summary(stored.deviceKey, NOW)?.withoutVerdict, 1);
    registry.observe(image(1, 'defect'), NOW, stored);
    const device = registry.summary(stored.deviceKey, NOW)!;
    assert.deepEqual([device.images, device.withoutVerdict, device.verdicts.defect], [1, 0, 1]);
    assert.deepEqual(device.defectRateLastHour, { analysed: 1, defects: 1, rate: 1 });
  });

  it('gives the defect rate over the last hour and over the last 100 images', () => {
    const registry = new DeviceRegistry();
    // 150 images two hours ago, all defects; then 50 in the last hour, one in five a defect.
    for (let n = 0; n < 150; n++) registry.observe(image(n, 'defect'), NOW - 2 * HOUR + n);
    for (let n = 0; n < 50; n++)
      registry.observe(image(1000 + n, n % 5 === 0 ? 'defect' : 'pass'), NOW - HOUR / 2 + n);
    const device = registry.summary('3_10.0.0.5', NOW)!;
    assert.equal(device.images, 200);
    assert.deepEqual(device.defectRateLastHour, { analysed: 50, defects: 10, rate: 0.2 });
    assert.deepEqual(device.defectRateLast100, { analysed: 100, defects: 60, rate: 0.6 });
    assert.equal(registry.summary('3_10.0.0.5', NOW + 2 * HOUR)!.defectRateLastHour.rate, null);
  });

  it('lists the most recently seen first', () => {
    const registry = new DeviceRegistry();
    registry.observe(image(1, 'pass', '1_10.0.0.1'), NOW - 1000);
    registry.observe(image(2, 'pass', '2_10.0.0.2'), NOW);
    assert.deepEqual(
      registry.summaries(NOW).map((device) => device.deviceKey),
      ['2_10.0.0.2', '1_10.0.0.1'],
    );
  });
});
