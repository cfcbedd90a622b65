// A Check measures one rule at a time. For the WebSockets lesson's steps 5 and 6, each rule the
// step teaches is taken out of the solution on its own, and the Check must fail on that rule
// with a reason that names it; a reader's plausible alternative still passes. The runs go
// through the local runner the course serves (real processes), without a browser: what is
// judged here is the Check program, and the browser adds nothing to it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSandbox, type LoadedSandbox } from '../../sandboxes/load.ts';
import type { FileMap } from '../../sandboxes/schema.ts';
import { createRunnerServer, type RunnerServer } from '../../runner/server.ts';
import { LocalRuntime } from '../../site/runtime/local/index.ts';
import type { CheckResult, RunEvents, RunState } from '../../site/runtime/types.ts';
import { fixtureDist, sleep } from '../fixtures/runner-client.ts';

let server: RunnerServer;
let runtime: LocalRuntime;
let sandbox: LoadedSandbox;

/** The solution's files with one edit; the edit must apply, or the test would prove nothing. */
function without(files: FileMap, path: string, from: string, to: string): FileMap {
  const text = files[path];
  assert.ok(text?.includes(from), `${path} of the solution contains ${JSON.stringify(from)}`);
  return { ...files, [path]: text!.replace(from, to) };
}

/** Runs the sandbox on these files until it is up, runs the step's Check, stops. */
async function checkOn(step: string, files: FileMap): Promise<CheckResult> {
  let last: RunState | undefined;
  let message = '';
  const events: RunEvents = {
    output() {},
    process() {},
    run(state, m) {
      last = state;
      message = m ?? '';
    },
    port() {},
    error() {},
  };
  const handle = await runtime.run({ manifest: sandbox.manifest, step, files }, events);
  try {
    const deadline = Date.now() + 60_000;
    while (last !== 'running') {
      if (last === 'failed' || last === 'stopped' || Date.now() > deadline) throw new Error(`the sandbox did not come up: ${last} ${message}`);
      await sleep(50);
    }
    return await handle.check(step);
  } finally {
    await handle.stop();
  }
}

describe('the WebSockets step-5 Check probes each rule on its own', { timeout: 10 * 60_000 }, () => {
  const step = 'reject-bad-messages';
  let solution: FileMap;
  before(async () => {
    server = await createRunnerServer({ port: 0, dist: fixtureDist });
    runtime = new LocalRuntime(server.token, server.url);
    sandbox = await loadSandbox('websockets');
    solution = sandbox.steps.find((s) => s.id === step)!.solution;
  });
  after(async () => {
    runtime?.dispose();
    await server?.close();
  });

  const PROTOCOL = 'protocol.ts';
  const cases: { rule: string; files: () => FileMap; reason: RegExp }[] = [
    {
      rule: 'MAX_MESSAGE_BYTES left at 100 MiB (the text-length rule alone must not pass the size cap)',
      files: () => without(solution, 'settings.ts', 'MAX_MESSAGE_BYTES = 4 * 1024', 'MAX_MESSAGE_BYTES = 100 * 1024 * 1024'),
      reason: /^Big sent a 10 KB frame .*MAX_MESSAGE_BYTES.* still connected/,
    },
    {
      rule: 'no text-length rule (maxPayload alone must not pass it)',
      files: () => without(solution, PROTOCOL, 'if ([...text].length > MAX_TEXT_LENGTH)', 'if (false)'),
      reason: /^Long sent a 600-character text/,
    },
    {
      rule: 'an off-by-one length rule that refuses 500 characters',
      files: () => without(solution, PROTOCOL, '[...text].length > MAX_TEXT_LENGTH', '[...text].length >= MAX_TEXT_LENGTH'),
      reason: /^Full sent a 500-character message/,
    },
    {
      rule: 'no empty-text rule',
      files: () => without(solution, PROTOCOL, "if (text === '')", 'if (false)'),
      reason: /^Empty sent an empty text/,
    },
    {
      rule: 'an empty-text rule that does not trim',
      files: () => without(solution, PROTOCOL, 'const text = message.text.trim();', 'const text = message.text;'),
      reason: /^Blank sent a text of spaces only/,
    },
    {
      rule: 'no type check',
      files: () => without(solution, PROTOCOL, "message.type !== 'message' || ", ''),
      reason: /^Typeless sent a text without type "message"/,
    },
    {
      rule: 'text that is not JSON passed on',
      files: () => without(solution, PROTOCOL, "throw new ProtocolError(CLOSE.INVALID_PAYLOAD, 'not JSON');", "return { type: 'message', text: data.toString() };"),
      reason: /^Garbage sent text that is not JSON/,
    },
    {
      rule: 'binary frames not refused as such',
      files: () => without(solution, PROTOCOL, 'if (isBinary) throw', 'if (false) throw'),
      reason: /^Binary sent a binary frame; the server closed with 1007 .*expected 1003/,
    },
  ];

  for (const c of cases)
    test(`fails with ${c.rule}`, async () => {
      const result = await checkOn(step, c.files());
      assert.equal(result.ok, false, `the Check passed without the rule: ${result.reason}`);
      assert.match(result.reason, c.reason);
    });

  test('passes on the solution, and on a plausible alternative (length counted in UTF-16 units, no trim of the text sent on)', async () => {
    const passed = await checkOn(step, solution);
    assert.equal(passed.ok, true, passed.reason);
    let alternative = without(solution, PROTOCOL, '[...text].length > MAX_TEXT_LENGTH', 'text.length > MAX_TEXT_LENGTH');
    alternative = without(alternative, PROTOCOL, "if (text === '')", "if (text.trim() === '')");
    alternative = without(alternative, PROTOCOL, 'const text = message.text.trim();', 'const text = message.text;');
    const alt = await checkOn(step, alternative);
    assert.equal(alt.ok, true, alt.reason);
  });
});

describe('the WebSockets step-6 Check (resume after a reconnect) probes each rule on its own', { timeout: 10 * 60_000 }, () => {
  const step = 'resume-after-reconnect';
  let solution: FileMap;
  before(async () => {
    server = await createRunnerServer({ port: 0, dist: fixtureDist });
    runtime = new LocalRuntime(server.token, server.url);
    sandbox = await loadSandbox('websockets');
    solution = sandbox.steps.find((s) => s.id === step)!.solution;
  });
  after(async () => {
    runtime?.dispose();
    await server?.close();
  });

  const HISTORY = 'history.ts';
  const CONSUMER = 'consumer.ts';
  const cases: { rule: string; files: () => FileMap; reason: RegExp }[] = [
    {
      rule: 'the stream id kept but not sent with the message',
      files: () => without(solution, CONSUMER, 'await layer.groupSend(this.room, { ...event, id });', 'await layer.groupSend(this.room, event);'),
      reason: /received "before 1 \w+" with no id/,
    },
    {
      rule: 'no replay on reconnect',
      files: () => without(solution, CONSUMER, 'await since(this.room, this.after)', '([] as RoomEvent[])'),
      reason: /received none of the 5 messages Host said while it was away/,
    },
    {
      rule: 'XRANGE from the id itself, not after it',
      files: () => without(solution, HISTORY, '`(${after}`', 'after'),
      reason: /received "before 3 \w+" again, the message with that very id/,
    },
    {
      rule: 'live messages not held during the replay',
      files: () => without(solution, CONSUMER, '    if (this.#held) {\n', '    if (this.#held && false) {\n'),
      reason: /^While Host kept talking, .*hold them in deliver\(\)/,
    },
    {
      rule: 'live copies of replayed messages let through',
      files: () => without(solution, CONSUMER, '&& this.#replayedUpTo && !isAfter', '&& this.#replayedUpTo && false && !isAfter'),
      reason: /^While Host kept talking, .* 2 times\. A message kept just before the replay read the stream also arrives live/,
    },
    {
      rule: 'no MAXLEN: the history grows for ever',
      files: () => without(solution, HISTORY, "'MAXLEN', '~', HISTORY_LENGTH, ", ''),
      reason: /received all 299: the room's stream keeps every message for ever/,
    },
  ];

  for (const c of cases)
    test(`fails with ${c.rule}`, async () => {
      const result = await checkOn(step, c.files());
      assert.equal(result.ok, false, `the Check passed without the rule: ${result.reason}`);
      assert.match(result.reason, c.reason);
    });

  test('passes on the solution, and on a plausible alternative (XREAD, exclusive by itself, instead of XRANGE)', async () => {
    const passed = await checkOn(step, solution);
    assert.equal(passed.ok, true, passed.reason);
    const alternative = without(solution, HISTORY, "await redis.xrange(historyKey(room), `(${after}`, '+')", "(await redis.xread('STREAMS', historyKey(room), after))?.[0]?.[1] ?? []");
    const alt = await checkOn(step, alternative);
    assert.equal(alt.ok, true, alt.reason);
  });
});
