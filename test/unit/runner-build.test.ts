// The build-before-serve decision of `npm start`, on a throwaway project whose "astro" is a
// small script (the real build is the site's business and far too slow for a unit test).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BUILD_PREPARED, BUILD_STAMP, build, buildNeeded } from '../../runner/build.ts';

let root: string;
let dist: string;
const future = (s: number) => new Date(Date.now() + s * 1000);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'hotpot-build-test-'));
  dist = join(root, 'dist');
  await mkdir(join(root, 'node_modules', '.bin'), { recursive: true });
  await mkdir(join(root, 'site', 'public'), { recursive: true });
  await mkdir(join(root, 'lessons'));
  await mkdir(join(root, 'sandboxes'));
  await mkdir(join(root, 'broker'));
  await writeFile(join(root, 'broker', 'cli.ts'), 'broker');
  await writeFile(join(root, 'site', 'page.astro'), 'page');
  await writeFile(join(root, 'astro.config.mjs'), 'export default {}');
  // The fake astro: records its arguments, writes dist/index.html and a generated file, as the real build does.
  await writeFile(
    join(root, 'node_modules', '.bin', 'astro'),
    `import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
if (process.env.FAKE_ASTRO_FAIL) process.exit(1);
appendFileSync('calls.txt', process.argv.slice(2).join(' ') + '\\n');
mkdirSync('dist', { recursive: true });
writeFileSync('dist/index.html', '<html><head></head></html>');
mkdirSync('site/public/generated', { recursive: true });
writeFileSync('site/public/generated/out.bin', 'x');
mkdirSync('.hotpot/sandbox-modules/node_modules/hotpot-broker', { recursive: true });
writeFileSync('.hotpot/sandbox-modules/node_modules/hotpot-broker/cli.js', '');
`,
  );
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('builds when dist/index.html is missing, then not again until a source changes', async () => {
  assert.match((await buildNeeded(root, dist)) ?? '', /index\.html is missing/);
  await build(root, dist);
  assert.equal(await readFile(join(root, 'calls.txt'), 'utf8'), 'build\n');
  assert.ok(existsSync(join(dist, BUILD_STAMP)));
  assert.equal(await buildNeeded(root, dist), null);

  // Files the build itself writes into site/public/generated are not a reason to rebuild.
  await utimes(join(root, 'site', 'public', 'generated', 'out.bin'), future(60), future(60));
  assert.equal(await buildNeeded(root, dist), null);

  for (const [i, source] of ['site/page.astro', 'broker/cli.ts', 'astro.config.mjs'].entries()) {
    await utimes(join(root, source), future(120 + i * 200), future(120 + i * 200));
    assert.match((await buildNeeded(root, dist)) ?? '', new RegExp(`${source.split('/')[0]!.replace('.', '\\.')} changed since the last build`));
    await build(root, dist);
    // The stamp is written when the build ends; here it is moved past the source's future time.
    await utimes(join(dist, BUILD_STAMP), future(180 + i * 200), future(180 + i * 200));
    assert.equal(await buildNeeded(root, dist), null);
  }
  await writeFile(join(root, 'lessons', 'new.mdx'), 'new');
  await utimes(join(root, 'lessons', 'new.mdx'), future(1000), future(1000));
  assert.match((await buildNeeded(root, dist)) ?? '', /lessons changed/);
});

test('the sandbox modules the build prepares outside dist/ (the bundled broker) missing means a build', async () => {
  await build(root, dist);
  await utimes(join(dist, BUILD_STAMP), future(5000), future(5000));
  assert.equal(await buildNeeded(root, dist), null);
  await rm(join(root, '.hotpot'), { recursive: true });
  assert.match((await buildNeeded(root, dist)) ?? '', new RegExp(`${BUILD_PREPARED[0]!.replaceAll('.', '\\.')} is missing`));
  await build(root, dist);
  await utimes(join(dist, BUILD_STAMP), future(5000), future(5000));
  assert.equal(await buildNeeded(root, dist), null);
});

test('a build without a stamp (npm run build) is dated by its index.html; a failing build rejects with a clear message and is never taken for a finished one', async () => {
  await rm(join(dist, BUILD_STAMP));
  await utimes(join(dist, 'index.html'), future(9000), future(9000));
  assert.equal(await buildNeeded(root, dist), null, 'npm start right after npm run build serves that build');
  await utimes(join(dist, 'index.html'), new Date(0), new Date(0));
  assert.match((await buildNeeded(root, dist)) ?? '', /changed since the last build/);
  process.env.FAKE_ASTRO_FAIL = '1';
  try {
    await assert.rejects(build(root, dist), /the site build \(astro build\) failed with exit code 1/);
  } finally {
    delete process.env.FAKE_ASTRO_FAIL;
  }
  assert.equal(existsSync(join(dist, BUILD_STAMP)), false, 'no stamp after a failed build');
  assert.match((await buildNeeded(root, dist)) ?? '', /index\.html is missing/, 'the next start builds again');
});
