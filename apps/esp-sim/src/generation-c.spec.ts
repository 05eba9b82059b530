import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisStatus, Verdict } from '#protocol';
import { parseUplinkLine, resultOfLine } from './generation-c.js';

const STORED =
  '{"image":"a b.jpg","outcome":"stored","storedMs":120,"totalMs":150,"bytes":14520,"packets":10,' +
  '"crc":"1a2b3c4d","requests":2,"packetsSent":13,"endRounds":3,"restarts":0,"timeouts":2,"skipped":1,' +
  '"malformed":0,"refusal":0,"verdict":{"status":"analysed","verdict":"defect","classIndex":1,' +
  '"confidence":8800,"label":"kink"}}';

describe('a line of cable-uplink-send --json', () => {
  it('becomes an upload result in the emulator’s terms, verdict and time after storing included', () => {
    const result = resultOfLine(parseUplinkLine(STORED), 7, 5000);
    assert.equal(result.ok, true);
    assert.equal(result.generation, 'C');
    assert.deepEqual(
      [
        result.packets,
        result.bytes,
        result.durationMs,
        result.requestTries,
        result.retransmissions,
        result.rounds,
      ],
      [10, 14520, 150, 2, 3, 3],
    );
    assert.deepEqual(result.analysis, {
      received: true,
      afterMs: 30,
      result: {
        kind: 'analysis-result',
        deviceId: 7,
        status: AnalysisStatus.Analysed,
        verdict: Verdict.Defect,
        classIndex: 1,
        confidence: 8800,
        label: 'kink',
      },
    });
    assert.equal(result.gaveUp, undefined);
  });

  it('names a failed upload by the command’s outcome and counts unreadable replies as violations', () => {
    const line = parseUplinkLine(
      STORED.replace('"stored"', '"no-answer"')
        .replace('"malformed":0', '"malformed":3')
        .replace(/"verdict":\{.*\}\}$/, '"verdict":null}'),
    );
    const result = resultOfLine(line, 7, 5000);
    assert.equal(result.ok, false);
    assert.equal(result.gaveUp, 'no-answer');
    assert.equal(result.analysis, undefined);
    assert.deepEqual(result.violations, ['3 replies that are not frames of the protocol']);
  });

  it('says the verdict did not come when it was awaited, and nothing when it was not', () => {
    const line = parseUplinkLine(STORED.replace(/"verdict":\{.*\}\}$/, '"verdict":null}'));
    assert.deepEqual(resultOfLine(line, 7, 5000).analysis, { received: false, waitedMs: 30 });
    assert.equal(resultOfLine(line, 7, 0).analysis, undefined);
  });

  it('refuses a line without the fields it needs', () => {
    assert.throws(() => parseUplinkLine('{"image":"a.jpg","outcome":"stored"}'), /without storedMs/);
    assert.throws(() => parseUplinkLine('not json'), SyntaxError);
  });
});
