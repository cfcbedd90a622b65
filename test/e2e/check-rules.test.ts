// A Check measures one rule at a time. For the WebSockets lesson's steps 3 to 6 and async
// tasks' step 1, each rule the step teaches is taken out of the solution on its own, and the
// Check must fail on that rule with a reason that names it; a reader's plausible alternative
// still passes. The runs go through the local runner the course serves (real processes),
// without a browser: what is judged here is the Check program, and the browser adds nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadSandbox, type LoadedSandbox } from '../../sandboxes/load.ts';
import type { FileMap } from '../../sandboxes/schema.ts';
import { createRunnerServer, type RunnerServer } from '../../runner/server.ts';
import { LocalRuntime } from '../../site/runtime/local/index.ts';
import type { CheckResult, RunEvents, RunState } from '../../site/runtime/types.ts';
import { fixtureDist, sleep } from '../fixtures/runner-client.ts';

let server: RunnerServer;
let runtime: LocalRuntime;
let sandbox: LoadedSandbox;

/** One way to break a step: the files with one rule taken out, and the reason the Check must give. */
interface BrokenRule {
  rule: string;
  files: (solution: FileMap) => FileMap;
  reason: RegExp;
  /**
   * Runs of the Check allowed to catch it. A race the Check provokes but cannot force (a live
   * message landing within one broker round trip) can slip past every round of one run.
   */
  tries?: number;
}

/**
 * The tests for one step's Check: it fails on each broken rule with that rule's reason, and
 * passes on the solution and on a reader's plausible alternative.
 */
function checkProbesEachRule(title: string, step: string, cases: BrokenRule[], alternative: { what: string; files: (solution: FileMap) => FileMap }, lesson = 'websockets') {
  describe(title, { timeout: 10 * 60_000 }, () => {
    let solution: FileMap;
    before(async () => {
      server = await createRunnerServer({ port: 0, dist: fixtureDist });
      runtime = new LocalRuntime(server.token, server.url);
      sandbox = await loadSandbox(lesson);
      solution = sandbox.steps.find((s) => s.id === step)!.solution;
    });
    after(async () => {
      runtime?.dispose();
      await server?.close();
    });

    for (const c of cases)
      test(`fails with ${c.rule}`, async () => {
        let result = await checkOn(step, c.files(solution));
        for (let n = 1; result.ok && n < (c.tries ?? 1); n++) result = await checkOn(step, c.files(solution));
        assert.equal(result.ok, false, `the Check passed without the rule${c.tries ? ` in ${c.tries} runs` : ''}: ${result.reason}`);
        assert.match(result.reason, c.reason);
      });

    test(`passes on the solution, and on a plausible alternative (${alternative.what})`, async () => {
      const passed = await checkOn(step, solution);
      assert.equal(passed.ok, true, passed.reason);
      const alt = await checkOn(step, alternative.files(solution));
      assert.equal(alt.ok, true, alt.reason);
    });
  });
}

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


/** A file of test/fixtures/check-rules, to drop into the sandbox in place of the solution's. */
const alternativeFile = (name: string) => readFileSync(new URL(`../fixtures/check-rules/${name}`, import.meta.url), 'utf8');

const HEARTBEAT = 'heartbeat.ts';
checkProbesEachRule(
  'the WebSockets step-3 Check (heartbeats) probes each rule on its own',
  'heartbeats',
  [
    {
      rule: 'no terminate(): a silent peer is pinged for ever',
      files: (solution) => without(solution, HEARTBEAT, '        ws.terminate();\n', ''),
      reason: /^Silent answered none of the pings it was sent, yet was still connected/,
    },
    {
      rule: 'close() instead of terminate(): it waits for an answer a vanished peer never sends',
      files: (solution) => without(solution, HEARTBEAT, '        ws.terminate();', '        ws.close();'),
      reason: /^Silent answered none of the pings .*: terminate\(\) a connection that has not answered the previous ping \(close\(\) waits/,
    },
    {
      rule: 'no ping()',
      files: (solution) => without(solution, HEARTBEAT, '      ws.ping();\n', ''),
      reason: /never received a ping/,
    },
    {
      rule: 'pongs not recorded: every peer is dropped',
      files: (solution) => without(solution, HEARTBEAT, "    ws.on('pong', () => alive.set(ws, true));\n", ''),
      reason: /^Healthy, which answers every ping, was disconnected/,
    },
    {
      rule: 'nothing returned',
      files: (solution) => without(solution, HEARTBEAT, '  return () => clearInterval(timer);', ''),
      reason: /^startHeartbeat\(\) returned nothing: return a function that stops the timer \(clearInterval\)/,
    },
    {
      rule: 'a stop function that does not stop the timer',
      files: (solution) => without(solution, HEARTBEAT, '  return () => clearInterval(timer);', '  return () => {};'),
      reason: /^After the function startHeartbeat\(\) returned was called, the heartbeat went on pinging .*return a function that stops the timer/,
    },
  ],
  { what: 'a set of sockets owing a pong, a chain of timeouts, clearTimeout to stop', files: (solution) => ({ ...solution, [HEARTBEAT]: alternativeFile('heartbeat-alternative.ts') }) },
);

const LAYER = 'layer.ts';
const PUBLISH = 'await this.#pub.publish(PREFIX + group, JSON.stringify(event));';
const DELIVER_HERE = 'for (const member of this.#groups.get(group)?.members ?? []) member.deliver(event);';
checkProbesEachRule(
  'the WebSockets step-4 Check (fan-out) probes each rule on its own',
  'fan-out',
  [
    {
      rule: 'events delivered to local members instead of published',
      files: (solution) => without(solution, LAYER, PUBLISH, DELIVER_HERE),
      reason: /never heard it: .*Publish through the broker/,
    },
    {
      rule: 'events delivered to local members and also published',
      files: (solution) => without(solution, LAYER, PUBLISH, `${DELIVER_HERE}\n    ${PUBLISH}`),
      reason: /received ".*" 2 times: deliver each published event once/,
    },
    {
      rule: 'a message handed to every local member, whatever its room',
      files: (solution) => without(solution, LAYER, 'for (const member of group.members) member.deliver(event);', 'for (const member of this.everyone()) member.deliver(event);'),
      reason: /^C, in #.*, received a message from #/,
    },
    {
      rule: 'no unsubscribe when a room empties',
      files: (solution) => without(solution, LAYER, '      await this.#sub.unsubscribe(PREFIX + group);\n', ''),
      reason: /still subscribes to chat:room:.* in groupDiscard, when a room loses its last local member, unsubscribe/,
    },
    {
      rule: 'an unsubscribe when any member leaves',
      files: (solution) => without(solution, LAYER, 'if (entry.members.size === 0) {', 'if (true) {'),
      reason: /X2, still there, no longer heard Y: in groupDiscard, unsubscribe only when a room loses its last local member/,
    },
    {
      rule: 'the subscribe not awaited',
      files: (solution) => without(solution, LAYER, '    await entry.subscribed;\n', ''),
      reason: /^chat-b welcomed B1, the first member of #.* In groupAdd, await the subscribe/,
    },
    {
      rule: 'the subscribe awaited only by the member who started it',
      files: (solution) => without(solution, LAYER, '    await entry.subscribed;', '    if (entry.members.size === 1) await entry.subscribed;'),
      reason: /^chat-b welcomed B2, who arrived while B1's subscribe was still pending/,
    },
  ],
  { what: 'members and subscriptions in separate maps, events.once for readiness', files: (solution) => ({ ...solution, [LAYER]: alternativeFile('layer-alternative.ts') }) },
);

const PROTOCOL = 'protocol.ts';
const stepFiveRules: BrokenRule[] = [
  {
    rule: 'MAX_MESSAGE_BYTES left at 100 MiB (the text-length rule alone must not pass the size cap)',
    files: (solution) => without(solution, 'settings.ts', 'MAX_MESSAGE_BYTES = 4 * 1024', 'MAX_MESSAGE_BYTES = 100 * 1024 * 1024'),
    reason: /^Big sent a 10 KB frame .*MAX_MESSAGE_BYTES.* still connected/,
  },
  {
    rule: 'no text-length rule (maxPayload alone must not pass it)',
    files: (solution) => without(solution, PROTOCOL, 'if ([...text].length > MAX_TEXT_LENGTH)', 'if (false)'),
    reason: /^Long sent a 600-character text/,
  },
  {
    rule: 'an off-by-one length rule that refuses 500 characters',
    files: (solution) => without(solution, PROTOCOL, '[...text].length > MAX_TEXT_LENGTH', '[...text].length >= MAX_TEXT_LENGTH'),
    reason: /^Full sent a 500-character message/,
  },
  {
    rule: 'no empty-text rule',
    files: (solution) => without(solution, PROTOCOL, "if (text === '')", 'if (false)'),
    reason: /^Empty sent an empty text/,
  },
  {
    rule: 'an empty-text rule that does not trim',
    files: (solution) => without(solution, PROTOCOL, 'const text = message.text.trim();', 'const text = message.text;'),
    reason: /^Blank sent a text of spaces only/,
  },
  {
    rule: 'no type check',
    files: (solution) => without(solution, PROTOCOL, "message.type !== 'message' || ", ''),
    reason: /^Typeless sent a text without type "message"/,
  },
  {
    rule: 'text that is not JSON passed on',
    files: (solution) => without(solution, PROTOCOL, "throw new ProtocolError(CLOSE.INVALID_PAYLOAD, 'not JSON');", "return { type: 'message', text: data.toString() };"),
    reason: /^Garbage sent text that is not JSON/,
  },
  {
    rule: 'binary frames not refused as such',
    files: (solution) => without(solution, PROTOCOL, 'if (isBinary) throw', 'if (false) throw'),
    reason: /^Binary sent a binary frame; the server closed with 1007 .*expected 1003/,
  },
];

checkProbesEachRule('the WebSockets step-5 Check probes each rule on its own', 'reject-bad-messages', stepFiveRules, {
  what: 'length counted in UTF-16 units, no trim of the text sent on',
  files: (solution) => {
    let alternative = without(solution, PROTOCOL, '[...text].length > MAX_TEXT_LENGTH', 'text.length > MAX_TEXT_LENGTH');
    alternative = without(alternative, PROTOCOL, "if (text === '')", "if (text.trim() === '')");
    return without(alternative, PROTOCOL, 'const text = message.text.trim();', 'const text = message.text;');
  },
});

const HISTORY = 'history.ts';
const CONSUMER = 'consumer.ts';
const stepSixRules: BrokenRule[] = [
  {
    rule: 'the stream id kept but not sent with the message',
    files: (solution) => without(solution, CONSUMER, 'await layer.groupSend(this.room, { ...event, id });', 'await layer.groupSend(this.room, event);'),
    reason: /received "before 1 \w+" with no id/,
  },
  {
    rule: 'no replay on reconnect',
    files: (solution) => without(solution, CONSUMER, 'await since(this.room, this.after)', '([] as RoomEvent[])'),
    reason: /received none of the 5 messages Host said while it was away/,
  },
  {
    rule: 'XRANGE from the id itself, not after it',
    files: (solution) => without(solution, HISTORY, '`(${after}`', 'after'),
    reason: /received "before 3 \w+" again, the message with that very id/,
  },
  {
    rule: 'live messages not held during the replay',
    files: (solution) => without(solution, CONSUMER, '    if (this.#held) {\n', '    if (this.#held && false) {\n'),
    reason: /^While Host kept talking, .*hold them in deliver\(\)/,
    tries: 2,
  },
  {
    rule: 'live copies of replayed messages let through',
    files: (solution) => without(solution, CONSUMER, '&& this.#replayedUpTo && !isAfter', '&& this.#replayedUpTo && false && !isAfter'),
    reason: /^While Host kept talking, .* 2 times\. A message kept just before the replay read the stream also arrives live/,
  },
  {
    rule: 'no MAXLEN: the history grows for ever',
    files: (solution) => without(solution, HISTORY, "'MAXLEN', '~', HISTORY_LENGTH, ", ''),
    reason: /received all 299: the room's stream keeps every message for ever/,
  },
];

checkProbesEachRule('the WebSockets step-6 Check (resume after a reconnect) probes each rule on its own', 'resume-after-reconnect', stepSixRules, {
  what: 'XREAD, exclusive by itself, instead of XRANGE',
  files: (solution) => without(solution, HISTORY, "await redis.xrange(historyKey(room), `(${after}`, '+')", "(await redis.xread('STREAMS', historyKey(room), after))?.[0]?.[1] ?? []"),
});

// Async tasks, step 1: neither the email nor the newsletter subscription in the request, and
// the email sent by the worker from a job.
const QUEUED = "const job = await queue.add('welcome', { signupId, name, email });";
const mailer = "(await import('./mailer.ts'))";
checkProbesEachRule(
  'the async-tasks step-1 Check probes each rule on its own',
  'make-it-async',
  [
    {
      rule: 'the email still sent while the browser waits',
      files: (s) => without(s, 'server.ts', QUEUED, `${QUEUED}\n  await ${mailer}.sendEmail((await import('./email.ts')).welcomeEmail({ name, email }));`),
      reason: /still waits for the email/,
    },
    {
      rule: 'the newsletter subscription still made while the browser waits',
      files: (s) => without(s, 'server.ts', QUEUED, `${QUEUED}\n  await ${mailer}.subscribeToNewsletter(email);`),
      reason: /still waits for the newsletter/,
    },
    {
      rule: 'the email sent in the background by the web server, not from a job',
      files: (s) =>
        without(s, 'server.ts', QUEUED, `void import('./mailer.ts').then((m) => m.sendEmail({ to: email, subject: 'Welcome', text: 'Hello ' + name }));\n  const job = { id: 'none' };`),
      reason: /not by the worker|no job was queued/,
    },
  ],
  {
    what: 'job options and the data in another order',
    files: (s) => without(s, 'server.ts', QUEUED, "const job = await queue.add('welcome', { name, email, signupId }, { removeOnComplete: 100 });"),
  },
  'async-tasks',
);
