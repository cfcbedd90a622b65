import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PathError, checkPath, findPathConflict, pathProblem, resolveInside, writeInside } from '../../runner/paths.ts';

describe('checkPath', () => {
  test('accepts ordinary relative paths', () => {
    for (const p of ['server.js', 'src/worker.ts', 'a/b/c/d.txt', '.env', 'public/index.html', 'file with spaces.md', 'ünï/cödé.js'])
      assert.equal(checkPath(p), null, p);
  });

  const refused: [string, RegExp][] = [
    ['../../etc/passwd', /file paths must stay inside the sandbox/],
    ['a/../../b', /must stay inside the sandbox/],
    ['..', /must stay inside the sandbox/],
    ['/etc/passwd', /must stay inside the sandbox/],
    ['C:/Windows/x', /must stay inside the sandbox/],
    ['c:x', /must stay inside the sandbox/],
    ['a\\b', /use "\/"/],
    ['..\\..\\x', /use "\/"/],
    ['a\0b', /NUL/],
    ['node_modules/x/index.js', /node_modules/],
    ['src/node_modules/x.js', /node_modules/],
    ['a//b', /empty or "\."/],
    ['./a', /empty or "\."/],
    ['a/', /empty or "\."/],
    ['', /must not be empty/],
    ['a\nb', /control characters/],
    ['x'.repeat(201), /at most 200/],
  ];
  for (const [path, reason] of refused) {
    test(`refuses ${JSON.stringify(path.slice(0, 30))}`, () => {
      const error = checkPath(path);
      assert.ok(error instanceof PathError, `expected a refusal for ${JSON.stringify(path)}`);
      assert.match(error.message, reason);
      assert.ok(error.message.startsWith(`${JSON.stringify(path)} is refused: `), error.message);
      assert.equal(error.code, 'bad-path');
    });
  }

  test('the message names the path as the reader sent it', () => {
    assert.equal(checkPath('../../etc/passwd')?.message, '"../../etc/passwd" is refused: file paths must stay inside the sandbox');
    assert.equal(pathProblem('ok.txt'), null);
  });
});

describe('findPathConflict', () => {
  test('a path that is both a file and a folder is refused', () => {
    assert.match(findPathConflict(['a', 'a/b.txt'])?.message ?? '', /"a" is a file, so it cannot also be a folder/);
    assert.equal(findPathConflict(['a/b', 'a/c', 'ab']), null);
  });
});

describe('resolveInside and writeInside', () => {
  let root: string;
  let outside: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hotpot-paths-test-'));
    outside = await mkdtemp(join(tmpdir(), 'hotpot-paths-outside-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  test('resolveInside gives a path below the root and throws for refused ones', () => {
    assert.equal(resolveInside(root, 'a/b.txt'), join(root, 'a', 'b.txt'));
    assert.throws(() => resolveInside(root, '../x'), PathError);
    assert.throws(() => resolveInside(root, '/abs'), PathError);
  });

  test('writes files in fresh folders', async () => {
    await writeInside(root, 'src/deep/file.txt', 'héllo');
    assert.equal(await readFile(join(root, 'src/deep/file.txt'), 'utf8'), 'héllo');
    // Written once: a second write without replace fails rather than overwrite.
    await assert.rejects(writeInside(root, 'src/deep/file.txt', 'again'), /"src\/deep\/file.txt" is refused: something is already there/);
    await writeInside(root, 'src/deep/file.txt', 'replaced', { replace: true });
    assert.equal(await readFile(join(root, 'src/deep/file.txt'), 'utf8'), 'replaced');
  });

  test('never follows a symlinked folder out of the root', async () => {
    await symlink(outside, join(root, 'escape'), 'dir');
    await assert.rejects(writeInside(root, 'escape/owned.txt', 'x'), /"escape\/owned.txt" is refused: "escape" is not a folder/);
    assert.deepEqual(await readdir(outside), []);
  });

  test('"..foo" is a name like any other: written inside, not refused late as outside', async () => {
    assert.equal(pathProblem('..foo'), null);
    assert.equal(resolveInside(root, '..foo/..bar.txt'), join(root, '..foo', '..bar.txt'));
    await writeInside(root, '..foo/..bar.txt', 'dots');
    assert.equal(await readFile(join(root, '..foo/..bar.txt'), 'utf8'), 'dots');
  });

  test('a failure names the path the reader sent, never the run folder', async () => {
    // A name the rules let through but the file system refuses: 255 bytes is the rule, so go around it.
    const long = 'é'.repeat(130);
    assert.match(pathProblem(long) ?? '', /at most 255 bytes/);
    const err = await writeInside(root, `a/${'x'.repeat(100)}/${'y'.repeat(100)}/${'z'.repeat(300)}`, 'x').catch((e: Error) => e);
    assert.ok(err instanceof PathError);
    assert.doesNotMatch(err.message, new RegExp(root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no temp path in the message');
  });

  test('a folder swapped for a symlink while writing never moves the write outside (race)', async () => {
    // Another process swaps race/x between a real folder and a link to outside as fast as it can.
    await mkdir(join(root, 'race'));
    const swapper = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      const x = ${JSON.stringify(join(root, 'race', 'x'))};
      for (;;) {
        try { fs.rmSync(x, { recursive: true, force: true }); fs.mkdirSync(x); } catch {}
        try { fs.rmSync(x, { recursive: true, force: true }); fs.symlinkSync(${JSON.stringify(outside)}, x); } catch {}
      }`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 400; i++) await writeInside(root, `race/x/f${i}.txt`, 'x').catch(() => {});
    } finally {
      swapper.kill('SIGKILL');
    }
    assert.deepEqual(await readdir(outside), [], 'nothing was written through the link');
  });

  test('never writes through a symlinked file', async () => {
    const target = join(outside, 'target.txt');
    await writeFile(target, 'original');
    await mkdir(join(root, 'links'));
    await symlink(target, join(root, 'links/file.txt'));
    await assert.rejects(writeInside(root, 'links/file.txt', 'x'), /something is already there/);
    // With replace, the link itself is replaced by a file; the target is untouched.
    await writeInside(root, 'links/file.txt', 'mine', { replace: true });
    assert.equal(await readFile(target, 'utf8'), 'original');
    assert.equal((await lstat(join(root, 'links/file.txt'))).isSymbolicLink(), false);
  });
});
