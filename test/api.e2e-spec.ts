import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CameraDevice, FIRMWARE } from '#camera-emulator';
import type { ImageSummary } from '../src/results/image-summary.js';
import { startAnalysingTestGateway, type TestGateway } from './support/gateway.js';
import { eventually } from './support/prometheus-tools.js';

const FIXTURE = join('test', 'fixtures', 'esp32cam-xga.jpg');

interface Page {
  readonly items: ImageSummary[];
  readonly next: string | null;
  readonly indexedFrom: string | null;
}

/** An open `GET /api/events`: the events as they come (type and data). */
class EventStreamReader {
  readonly events: { id: string; type: string; data: Record<string, unknown> }[] = [];
  private buffer = '';

  private constructor(private readonly close: () => void) {}

  static open(base: string, lastEventId?: string): Promise<EventStreamReader> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${base}/api/events`,
        { headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {} },
        (res) => {
          assert.equal(res.statusCode, 200);
          assert.match(res.headers['content-type'] ?? '', /^text\/event-stream/);
          const reader = new EventStreamReader(() => req.destroy());
          res.setEncoding('utf8').on('data', (chunk: string) => reader.take(chunk));
          resolve(reader);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  stop(): void {
    this.close();
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let end;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const fields = Object.fromEntries(
        frame
          .split('\n')
          .filter((line) => !line.startsWith(':') && line.includes(': '))
          .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
      );
      if (fields.event)
        this.events.push({ id: fields.id ?? '', type: fields.event, data: JSON.parse(fields.data ?? '{}') });
    }
  }
}

describe('the JSON API (/api) and its live stream', () => {
  let gateway: TestGateway;
  let base: string;
  let stream: EventStreamReader;
  const devices = [21, 22];

  const json = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 200, `${path}: ${response.status}`);
    return (await response.json()) as T;
  };

  before(async () => {
    gateway = await startAnalysingTestGateway();
    base = gateway.http;
    stream = await EventStreamReader.open(base);
    const photo = await readFile(FIXTURE);
    for (const deviceId of devices) {
      const camera = await CameraDevice.open({ server: gateway.udp, firmware: FIRMWARE.B, deviceId });
      try {
        for (let n = 0; n < 3; n++)
          assert.equal((await camera.upload(photo, { deadlineMs: 10_000 })).ok, true);
      } finally {
        await camera.close();
      }
    }
    await eventually(
      'every image analysed',
      async () => ((await json<Page>('/api/images?status=pending')).items.length === 0 ? true : undefined),
      20_000,
      50,
    );
  });

  after(async () => {
    stream?.stop();
    await gateway.close();
  });

  it('lists images newest first with their analysis, a page at a time', async () => {
    const all = await json<Page>('/api/images');
    assert.equal(all.items.length, 6);
    assert.equal(all.next, null);
    const [newest] = all.items;
    for (const field of [
      'imageId',
      'sha256',
      'deviceId',
      'address',
      'storedAt',
      'size',
      'packets',
      'status',
      'verdict',
      'label',
      'confidence',
      'model',
    ])
      assert.ok(field in newest!, field);
    assert.equal(newest!.status, 'analysed');
    const stored = all.items.map((item) => item.storedAt);
    assert.deepEqual(stored, [...stored].sort().reverse());
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: Page = await json<Page>(`/api/images?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((item) => item.imageId));
      cursor = page.next;
    }
    assert.deepEqual(
      seen,
      all.items.map((item) => item.imageId),
    );
  });

  it('filters by device, verdict, label and time', async () => {
    const byDevice = await json<Page>('/api/images?device=21');
    assert.equal(byDevice.items.length, 3);
    assert.ok(byDevice.items.every((item) => item.deviceId === 21));
    assert.equal((await json<Page>('/api/images?device=22_127.0.0.1')).items.length, 3);
    const { verdict, label, storedAt } = byDevice.items[1]!;
    assert.ok(
      (await json<Page>(`/api/images?verdict=${verdict}`)).items.every((item) => item.verdict === verdict),
    );
    assert.ok((await json<Page>(`/api/images?label=${label}`)).items.every((item) => item.label === label));
    const since = await json<Page>(`/api/images?since=${encodeURIComponent(storedAt)}&device=21`);
    assert.deepEqual(
      since.items.map((item) => item.imageId),
      byDevice.items.slice(0, 2).map((item) => item.imageId),
    );
  });

  it('answers 400 naming each bad parameter', async () => {
    const response = await fetch(
      `${base}/api/images?limit=0&since=yesterday&verdict=ok&colour=red&cursor=bad*`,
    );
    assert.equal(response.status, 400);
    const body = (await response.json()) as { message: string; parameters: Record<string, string[]> };
    assert.deepEqual(Object.keys(body.parameters).sort(), ['colour', 'cursor', 'limit', 'since', 'verdict']);
    assert.match(body.message, /invalid query parameter\(s\)/);
    assert.equal((await fetch(`${base}/api/images?cursor=AAAA`)).status, 400);
    assert.equal((await fetch(`${base}/api/stats?window=forever`)).status, 400);
  });

  it('gives the whole record of one image, and 404 for an unknown one', async () => {
    const [item] = (await json<Page>('/api/images?limit=1')).items;
    const record = await json<{
      imageId: string;
      analysis: { scores: Record<string, number> };
      timings: object;
    }>(`/api/images/${item!.imageId}`);
    assert.equal(record.imageId, item!.imageId);
    assert.deepEqual(Object.keys(record.analysis.scores).sort(), ['good', 'kink']);
    assert.equal((await fetch(`${base}/api/images/2026-01-01/1_127.0.0.1/000000000-ab`)).status, 404);
  });

  it('lists every camera with its counts per verdict and defect rates', async () => {
    const { devices: listed } = await json<{ devices: Record<string, unknown>[] }>('/api/devices');
    assert.deepEqual(
      listed.map((device) => device.deviceKey),
      ['22_127.0.0.1', '21_127.0.0.1'],
    );
    const [latest] = listed as {
      images: number;
      verdicts: Record<string, number>;
      defectRateLastHour: { analysed: number; rate: number | null };
      flowMode: string;
    }[];
    assert.equal(latest!.images, 3);
    assert.equal(
      Object.values(latest!.verdicts).reduce((sum, count) => sum + count, 0),
      3,
    );
    assert.equal(latest!.defectRateLastHour.analysed, 3);
    assert.equal(latest!.flowMode, 'burst');
  });

  it('counts verdicts and labels over a window', async () => {
    const stats = await json<{
      images: number;
      verdicts: Record<string, number>;
      labels: Record<string, number>;
      complete: boolean;
    }>('/api/stats?window=15m');
    assert.equal(stats.images, 6);
    assert.equal(
      Object.values(stats.labels).reduce((sum, count) => sum + count, 0),
      6,
    );
    assert.equal(stats.complete, true);
  });

  it('streams image.stored, image.analysed and device.seen, and replays what a reconnecting client missed', async () => {
    const count = (type: string) => stream.events.filter((event) => event.type === type).length;
    assert.deepEqual([count('image.stored'), count('image.analysed')], [6, 6]);
    assert.ok(count('device.seen') >= 6);
    const stored = stream.events.find((event) => event.type === 'image.stored')!;
    assert.equal(stored.data.status, 'pending');
    assert.ok(typeof stored.data.imageId === 'string');
    const third = stream.events[2]!;
    const again = await EventStreamReader.open(base, third.id);
    await eventually(
      'the replay',
      async () => (again.events.length === stream.events.length - 3 ? true : undefined),
      5000,
      20,
    );
    assert.deepEqual(
      again.events.map((event) => event.id),
      stream.events.slice(3).map((event) => event.id),
    );
    again.stop();
  });

  it('describes itself in an OpenAPI document at /api/docs', async () => {
    const document = await json<{ openapi: string; paths: Record<string, unknown> }>(
      '/api/docs/openapi.json',
    );
    assert.match(document.openapi, /^3\./);
    assert.deepEqual(Object.keys(document.paths).sort(), [
      '/api/devices',
      '/api/events',
      '/api/images',
      '/api/images/{day}/{device}/{name}',
      '/api/images/{day}/{device}/{name}/review',
      '/api/models',
      '/api/models/compare',
      '/api/models/shadow',
      '/api/models/{name}/activate',
      '/api/models/{name}/report',
      '/api/models/{name}/shadow',
      '/api/review/next',
      '/api/stats',
    ]);
    const page = await fetch(`${base}/api/docs`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger/i);
  });
});
