import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIRMWARE } from '#camera-emulator';
import { generationC } from './generation-c.js';
import { DEFAULT_IMAGE_SIZE, parseSimArgs, UsageError, type SimOptions } from './sim-options.js';

function options(argv: string[]): SimOptions {
  const command = parseSimArgs(argv);
  assert.equal(command.help, false);
  return (command as { options: SimOptions }).options;
}

function usageError(argv: string[]): string {
  try {
    parseSimArgs(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
}

describe('parseSimArgs', () => {
  it('defaults to one generation-A WiFi device sending one synthetic image to 127.0.0.1:44444', () => {
    const parsed = options([]);
    assert.deepEqual(parsed.builds, [FIRMWARE.A_WIFI]);
    assert.deepEqual([parsed.devices, parsed.images, parsed.imageSize], [1, 1, DEFAULT_IMAGE_SIZE]);
    assert.deepEqual(parsed.target, { host: '127.0.0.1', port: 44444 });
    assert.deepEqual(parsed.link, { loss: 0, duplicate: 0, reorder: 0, reorderDelayMs: 30 });
    assert.deepEqual([parsed.timeScale, parsed.deadlineMs, parsed.seed], [1, 300_000, 1]);
    assert.deepEqual(
      [parsed.sameId, parsed.waitResult, parsed.json, parsed.quiet],
      [false, false, false, false],
    );
  });

  it('mixes generations given comma-separated, following --packet-size for A and seed', () => {
    assert.deepEqual(options(['--generation', 'A,B,seed']).builds, [
      FIRMWARE.A_WIFI,
      FIRMWARE.B,
      FIRMWARE.SEED_WIFI,
    ]);
    assert.deepEqual(options(['--generation', 'a,seed', '--packet-size', '1460']).builds, [
      FIRMWARE.A_ETHERNET,
      FIRMWARE.SEED_ETHERNET,
    ]);
    assert.deepEqual(options(['--generation', 'A-ethernet,B']).builds, [FIRMWARE.A_ETHERNET, FIRMWARE.B]);
  });

  it('runs generation C, the C library, at P = 1460 unless --packet-size says otherwise', () => {
    assert.deepEqual(options(['--generation', 'B,C']).builds, [FIRMWARE.B, generationC(1460)]);
    assert.deepEqual(options(['--generation', 'c', '--packet-size', '1024']).builds, [generationC(1024)]);
    assert.deepEqual(options(['--generation', 'C', '--time-scale', 'C=0.5']).timeScale, { C: 0.5 });
  });

  it('takes an exact multiple of P-8 for generation C alone, which has no such bug', () => {
    assert.equal(options(['--generation', 'C', '--size', '14520']).imageSize, 14_520);
    assert.match(usageError(['--generation', 'B,C', '--size', '14520']), /exact multiple of 1452/);
    assert.match(usageError(['--generation', 'C', '--size', '370261']), /at most 255 × 1452/);
  });

  it('reads every option', () => {
    const parsed = options([
      ...['--devices', '255', '--images', '3', '--size', '40001', '--loss', '0.05', '--duplicate', '0.01'],
      ...['--reorder', '0.1', '--reorder-delay', '12', '--target', 'gateway.local:5000', '--same-id'],
      ...[
        '--wait-result',
        '--result-timeout',
        '9000',
        '--time-scale',
        '0.1',
        '--seed',
        '42',
        '--json',
        '--quiet',
      ],
      ...['--ramp', '1000', '--interval', '250', '--bind', '10.0.0.2'],
    ]);
    assert.deepEqual([parsed.devices, parsed.images, parsed.imageSize], [255, 3, 40_001]);
    assert.deepEqual(parsed.link, { loss: 0.05, duplicate: 0.01, reorder: 0.1, reorderDelayMs: 12 });
    assert.deepEqual(parsed.target, { host: 'gateway.local', port: 5000 });
    assert.deepEqual([parsed.sameId, parsed.waitResult, parsed.resultTimeoutMs], [true, true, 9000]);
    assert.deepEqual([parsed.timeScale, parsed.deadlineMs, parsed.seed], [0.1, 30_000, 42]);
    assert.deepEqual(
      [parsed.json, parsed.quiet, parsed.rampMs, parsed.intervalMs, parsed.bind],
      [true, true, 1000, 250, '10.0.0.2'],
    );
  });

  it('takes a time scale per generation, 1 for those not named, and scales the default deadline by the largest', () => {
    const parsed = options(['--generation', 'A,B', '--time-scale', 'A=0.2,b=0.5']);
    assert.deepEqual(parsed.timeScale, { A: 0.2, B: 0.5 });
    assert.equal(parsed.deadlineMs, 150_000);
    assert.equal(options(['--generation', 'A', '--time-scale', 'B=0.1']).deadlineMs, 300_000);
    assert.match(
      usageError(['--time-scale', 'D=1']),
      /expected a positive number, or generation=factor pairs/,
    );
  });

  it('takes an IPv6 target in brackets, and a host without port as port 44444', () => {
    assert.deepEqual(options(['--target', '[::1]:7000']).target, { host: '::1', port: 7000 });
    assert.deepEqual(options(['--target', '192.168.1.10']).target, { host: '192.168.1.10', port: 44444 });
  });

  it('uses a folder of JPEGs instead of synthetic images', () => {
    const parsed = options(['--images-from', '/photos']);
    assert.deepEqual([parsed.imagesFrom, parsed.imageSize], ['/photos', undefined]);
  });

  it('--help asks for the usage text', () => {
    assert.deepEqual(parseSimArgs(['--help']), { help: true });
  });

  it('reports every invalid value at once, naming the option and what it accepts', () => {
    const message = usageError(['--loss', '1.5', '--devices', '0', '--generation', 'D', '--time-scale=-1']);
    assert.match(message, /--loss "1.5": expected a probability from 0 to 1/);
    assert.match(message, /--devices "0": expected an integer from 1 to 10000/);
    assert.match(message, /--generation "D": expected A, B, seed or C/);
    assert.match(message, /--time-scale "-1": expected a positive number/);
  });

  it('refuses unknown options and stray arguments', () => {
    assert.match(usageError(['--speed', '3']), /Unknown option '--speed'/);
    assert.match(usageError(['extra']), /extra/);
  });

  it('refuses generation B with the WiFi packet size', () => {
    assert.match(usageError(['--generation', 'B', '--packet-size', '1024']), /always sends P = 1460/);
    assert.match(usageError(['--packet-size', '512']), /--packet-size "512": expected 1024 or 1460/);
  });

  it('refuses an image size the firmware cannot finish: too large, or an exact multiple of P-8', () => {
    assert.match(usageError(['--size', '300000']), /at most 255 × 1016 = 259080/);
    assert.match(usageError(['--size', '10160']), /exact multiple of 1016 .*known bug/);
    assert.match(usageError(['--size', '14520', '--generation', 'B']), /exact multiple of 1452/);
    assert.match(usageError(['--size', '5000', '--images-from', '/photos']), /one or the other/);
  });

  it('refuses a bind address that is not an IP address', () => {
    assert.match(usageError(['--bind', 'eth0']), /--bind "eth0": expected auto or an IP address/);
  });

  it('refuses a malformed target', () => {
    assert.match(usageError(['--target', 'host:99999']), /--target "host:99999": expected host:port/);
    assert.match(usageError(['--target', 'a:b:c']), /expected host:port/);
  });
});
