import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationError } from './configuration-error.js';
import { validateEnvironment } from './validate-environment.js';

describe('validateEnvironment', () => {
  it('fills every default when nothing is set', () => {
    const env = validateEnvironment({});
    assert.equal(env.UDP_HOST, '0.0.0.0');
    assert.equal(env.UDP_PORT, 44444);
    assert.equal(env.HTTP_HOST, '0.0.0.0');
    assert.equal(env.HTTP_PORT, 3000);
    assert.equal(env.STORAGE_DIR, './data/images');
    assert.equal(env.LOG_LEVEL, 'info');
    assert.equal(env.UDP_BIND_EACH_ADDRESS, false);
  });

  it('converts numbers and booleans given as strings', () => {
    const env = validateEnvironment({ UDP_PORT: '5000', UDP_BIND_EACH_ADDRESS: 'true', HTTP_PORT: '0' });
    assert.equal(env.UDP_PORT, 5000);
    assert.equal(env.HTTP_PORT, 0);
    assert.equal(env.UDP_BIND_EACH_ADDRESS, true);
  });

  it('ignores variables that are not settings', () => {
    const env = validateEnvironment({ PATH: '/usr/bin', HOME: '/root' });
    assert.equal(Object.hasOwn(env, 'PATH'), false);
  });

  it('names every offending variable and what it accepts, in one error', () => {
    assert.throws(
      () =>
        validateEnvironment({
          UDP_PORT: 'not-a-port',
          HTTP_PORT: '70000',
          UDP_HOST: 'nowhere',
          LOG_LEVEL: 'loud',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        assert.deepEqual(error.invalid.map((s) => s.name).sort(), [
          'HTTP_PORT',
          'LOG_LEVEL',
          'UDP_HOST',
          'UDP_PORT',
        ]);
        assert.match(error.message, /UDP_PORT="not-a-port": expected an integer from 0 to 65535/);
        assert.match(error.message, /LOG_LEVEL="loud": expected fatal, error, warn, info, debug, verbose/);
        return true;
      },
    );
  });

  it('refuses numbers with trailing garbage and booleans it cannot read', () => {
    assert.throws(() => validateEnvironment({ UDP_PORT: '44444x' }), /UDP_PORT/);
    assert.throws(() => validateEnvironment({ UDP_BIND_EACH_ADDRESS: 'maybe' }), /UDP_BIND_EACH_ADDRESS/);
  });

  it('refuses a packet size floor above the ceiling', () => {
    assert.throws(
      () => validateEnvironment({ MIN_PACKET_BYTES: '2000', MAX_PACKET_BYTES: '1500' }),
      /MIN_PACKET_BYTES="2000": expected at most MAX_PACKET_BYTES \(1500\)/,
    );
  });

  it('reads the size cap of retention as bytes or as a share of the file system, and nothing else', () => {
    assert.equal(validateEnvironment({}).RETENTION_MAX_BYTES, '80%');
    for (const value of ['0', '1048576', '1%', '12.5%', '100%', ' 50% ']) {
      assert.equal(validateEnvironment({ RETENTION_MAX_BYTES: value }).RETENTION_MAX_BYTES, value.trim());
    }
    for (const value of ['', '-1', '0%', '100.5%', '101%', '80 %', '1e9', '5GB', '%']) {
      assert.throws(() => validateEnvironment({ RETENTION_MAX_BYTES: value }), /RETENTION_MAX_BYTES/, value);
    }
  });

  it('refuses defects kept for less time than the other images, unless either has no limit', () => {
    assert.throws(
      () => validateEnvironment({ RETENTION_MAX_AGE_DAYS: '30', RETENTION_DEFECT_MAX_AGE_DAYS: '7' }),
      /RETENTION_DEFECT_MAX_AGE_DAYS="7": expected 0 \(no age limit\) or at least RETENTION_MAX_AGE_DAYS \(30\)/,
    );
    assert.equal(validateEnvironment({ RETENTION_MAX_AGE_DAYS: '0' }).RETENTION_DEFECT_MAX_AGE_DAYS, 90);
    assert.equal(validateEnvironment({ RETENTION_DEFECT_MAX_AGE_DAYS: '0' }).RETENTION_MAX_AGE_DAYS, 30);
    assert.throws(() => validateEnvironment({ RETENTION_MAX_AGE_DAYS: '36501' }), /RETENTION_MAX_AGE_DAYS/);
  });
});
