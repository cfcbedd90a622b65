import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KiB, MiB, OutputLimiter, checkFiles, defaultLimits, formatBytes, limitFlags, limitMessages, limitsFromFlags, resolveLimits } from '../../engine/limits.ts';

describe('defaults', () => {
  test('are the documented ones', () => {
    assert.deepEqual({ ...defaultLimits }, {
      runMs: 30 * 60_000,
      processes: 32,
      outputBytesPerSecond: 256 * KiB,
      fileBytes: 512 * KiB,
      totalBytes: 4 * MiB,
      files: 300,
      runs: 4,
      memoryBytes: 1024 * MiB,
    });
  });

  test('every limit has a CLI flag', () => {
    assert.deepEqual(limitFlags.map((f) => f.key).sort(), Object.keys(defaultLimits).sort());
  });

  test('flags override in their own units', () => {
    const l = limitsFromFlags({ 'max-run-minutes': '5', 'max-output-kib': '64', 'max-processes': '10' });
    assert.equal(l.runMs, 5 * 60_000);
    assert.equal(l.outputBytesPerSecond, 64 * KiB);
    assert.equal(l.processes, 10);
    assert.equal(l.files, 300);
    assert.throws(() => limitsFromFlags({ 'max-runs': 'many' }), /--max-runs must be a positive number, not "many"/);
    assert.throws(() => limitsFromFlags({ 'max-runs': '0' }), /--max-runs must be a positive number/);
  });

  test('resolveLimits fills in what is not given', () => {
    assert.deepEqual(resolveLimits({ runs: 1 }), { ...defaultLimits, runs: 1 });
  });
});

describe('checkFiles', () => {
  const limits = resolveLimits({ fileBytes: 10, totalBytes: 25, files: 3 });

  test('accepts files within the limits', () => {
    assert.equal(checkFiles({ 'a.txt': '0123456789', 'b/c.txt': 'x' }, limits), null);
  });

  test('a file over the size limit', () => {
    const p = checkFiles({ 'big.txt': '01234567890' }, limits);
    assert.equal(p?.code, 'file-too-large');
    assert.equal(p?.message, '"big.txt" is 11 bytes; a file may be at most 10 bytes.');
  });

  test('sizes count UTF-8 bytes, not characters', () => {
    assert.equal(checkFiles({ 'u.txt': 'ééééé' }, limits), null);
    assert.equal(checkFiles({ 'u.txt': 'éééééé' }, limits)?.code, 'file-too-large');
  });

  test('all files together', () => {
    const p = checkFiles({ a: '0123456789', b: '0123456789', c: '0123456' }, limits);
    assert.equal(p?.code, 'file-too-large');
    assert.match(p!.message, /together they may be at most 25 bytes/);
  });

  test('too many files', () => {
    const p = checkFiles({ a: '', b: '', c: '', d: '' }, limits);
    assert.deepEqual(p, { code: 'too-many-files', message: '4 files were sent; a sandbox may have at most 3.' });
  });

  test('a bad path refuses the whole set', () => {
    const p = checkFiles({ 'ok.txt': 'x', '../../etc/passwd': 'x' }, limits);
    assert.deepEqual(p, { code: 'bad-path', message: '"../../etc/passwd" is refused: file paths must stay inside the sandbox' });
  });

  test('content that is not text', () => {
    assert.equal(checkFiles({ 'a.txt': 5 }, limits)?.code, 'bad-message');
    assert.equal(checkFiles([], limits)?.code, 'bad-message');
    assert.equal(checkFiles(null, limits)?.code, 'bad-message');
  });
});

describe('OutputLimiter', () => {
  test('passes up to the budget per second, drops the rest and reports it once the second is over', () => {
    const l = new OutputLimiter(100);
    assert.deepEqual(l.take(60, 0), { pass: true, report: 0 });
    assert.deepEqual(l.take(40, 10), { pass: true, report: 0 });
    assert.deepEqual(l.take(1, 20), { pass: false, report: 0 });
    assert.deepEqual(l.take(50, 500), { pass: false, report: 0 });
    assert.equal(l.dropping, true);
    assert.equal(l.remaining(500), 500);
    // A new second: the 51 dropped bytes are reported, and the budget is back.
    assert.deepEqual(l.take(70, 1000), { pass: true, report: 51 });
    assert.equal(l.flush(1500), 0, 'the window is not over yet');
    assert.equal(l.flush(2000), 0, 'nothing was dropped in it');
  });

  test('flush ends a window with drops, for a timer when output stops', () => {
    const l = new OutputLimiter(10);
    l.take(10, 0);
    l.take(5, 1);
    assert.equal(l.flush(999), 0);
    assert.equal(l.flush(1000), 5);
    assert.equal(l.dropping, false);
    l.take(10, 2000);
    l.take(3, 2001);
    assert.equal(l.flush(2002, true), 3);
  });
});

describe('messages', () => {
  const l = defaultLimits;
  test('are one line each and name the limit', () => {
    const lines = [
      limitMessages.runTime(l),
      limitMessages.processes(l, 40),
      limitMessages.fileTooLarge(l, 'a.js', 600 * KiB),
      limitMessages.filesTooLarge(l, 5 * MiB),
      limitMessages.tooManyFiles(l, 301),
      limitMessages.tooManyRuns(l),
    ];
    for (const line of lines) assert.doesNotMatch(line, /\n/);
    assert.match(limitMessages.runTime(l), /30 minutes/);
    assert.match(limitMessages.processes(l, 40), /40 processes.*limit of 32/);
    assert.match(limitMessages.tooManyRuns(l), /^4 sandboxes are already running/);
  });

  test('the dropped-output notice is a yellow terminal line saying how much', () => {
    const notice = limitMessages.outputDropped(l, 3 * MiB);
    assert.match(notice, /^\r\n\x1b\[0;33m\[hotpot\] 3 MiB of output dropped: .*256 KiB per second\.\x1b\[0m\r\n$/);
  });

  test('formatBytes', () => {
    assert.equal(formatBytes(12), '12 bytes');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(4 * MiB), '4 MiB');
  });
});
