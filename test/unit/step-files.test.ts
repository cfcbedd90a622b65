// A step's files as the site serves them: packed with each distinct contents once, unpacked
// back to the same maps, and anything else (a proxy's error page, a truncated file) refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packStepFiles, unpackStepFiles } from '../../site/workbench/step-files.ts';

test('packing stores each distinct file once and unpacks to the same files and solution', () => {
  const files = { 'a.ts': 'same', 'b.ts': 'start' };
  const solution = { 'a.ts': 'same', 'b.ts': 'done', 'c.ts': 'start' };
  const packed = packStepFiles(files, solution);
  assert.deepEqual(packed.contents, ['same', 'start', 'done']);
  assert.deepEqual(unpackStepFiles(JSON.parse(JSON.stringify(packed))), { files, solution });
});

test('malformed step files are refused with what is wrong', () => {
  assert.throws(() => unpackStepFiles('<html>'), /malformed \(not an object\)/);
  assert.throws(() => unpackStepFiles({ contents: [1], files: {}, solution: {} }), /malformed \(contents\.0\)/);
  assert.throws(() => unpackStepFiles({ contents: ['x'], files: { 'a.ts': 3 }, solution: {} }), /malformed \(files\.a\.ts: no content 3\)/);
  assert.throws(() => unpackStepFiles({ contents: ['x'], files: { 'a.ts': 0 } }), /malformed \(solution\)/);
});
