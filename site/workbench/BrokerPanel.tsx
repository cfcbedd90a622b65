// The Broker tab: a look inside the sandbox's broker through its inspector endpoint (a
// WebSocket the broker serves on its own port): keys by type with their values, refreshed
// while the tab is open; the MONITOR stream with a pause button; a redis-cli style console.
// One view at a time, each with the pane's whole height and a single scroll area.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { WorkbenchModel } from './model.ts';
import { onTabListKey, rovingTabIndex } from './tabs.ts';

import type { InspectorReply, InspectorRequest, KeyInfo } from '../../engine/inspector.ts';

type Incoming = InspectorReply;
type KeyView = KeyInfo;
/** A request as the panel writes it; the connection numbers it. */
type Ask = Exclude<InspectorRequest, { type: 'monitor' }> extends infer T ? (T extends unknown ? Omit<T, 'id'> : never) : never;
/** The schema, loaded with the first connection (zod stays out of the page's first load). */
type ReplySchema = typeof import('../../engine/inspector.ts').InspectorReply;

const MONITOR_LINES = 500;
type View = 'keys' | 'monitor' | 'console';
const VIEWS: { id: View; label: string }[] = [
  { id: 'keys', label: 'Keys' },
  { id: 'monitor', label: 'Commands' },
  { id: 'console', label: 'Console' },
];
const REFRESH_MS = 1000;
const RECONNECT_MS = 1000;

let schemaLoad: Promise<ReplySchema> | null = null;
const replySchema = () =>
  (schemaLoad ??= import('../../engine/inspector.ts').then(
    (m) => m.InspectorReply,
    (e: unknown) => {
      schemaLoad = null; // a failed download is tried again on the next connection
      throw e;
    },
  ));

/** One inspector connection: request/reply by id, MONITOR lines to a callback. Every request settles. */
class Inspector {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, (m: Incoming) => void>();
  onMonitor: (line: string) => void = () => {};
  onClose: (why: string, refused: boolean) => void = () => {};
  constructor(url: string, secret: string, schema: ReplySchema) {
    const u = new URL(url);
    u.searchParams.set('secret', secret);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    this.#ws = new WebSocket(u);
    this.#ws.addEventListener('message', (e) => {
      let parsed;
      try {
        parsed = schema.safeParse(JSON.parse(String(e.data)));
      } catch {
        return;
      }
      if (!parsed.success) return; // not the inspector's protocol: nothing to show
      const m = parsed.data;
      if (m.type === 'monitor') return this.onMonitor(m.line);
      if (m.id !== undefined) {
        this.#pending.get(m.id)?.(m);
        this.#pending.delete(m.id);
      }
    });
    this.#ws.addEventListener('close', (e) => {
      for (const settle of this.#pending.values()) settle({ type: 'error', message: 'the broker connection closed' });
      this.#pending.clear();
      // 1008: the inspector refused this page (secret or origin); trying again would not help.
      this.onClose(e.reason || 'the broker stopped', e.code === 1008);
    });
  }
  opened(): Promise<void> {
    if (this.#ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#ws.addEventListener('open', () => resolve(), { once: true });
      this.#ws.addEventListener('close', () => reject(new Error('could not reach the broker')), { once: true });
    });
  }
  request(body: Ask, timeoutMs = 10_000): Promise<Incoming> {
    const id = this.#next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.#pending.delete(id), resolve({ type: 'error', message: 'the broker did not answer' })), timeoutMs);
      this.#pending.set(id, (m) => (clearTimeout(timer), resolve(m)));
      if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify({ ...body, id }));
      else (clearTimeout(timer), this.#pending.delete(id), resolve({ type: 'error', message: 'not connected to the broker' }));
    });
  }
  monitor(on: boolean): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify({ type: 'monitor', on }));
  }
  close(): void {
    this.#ws.close();
  }
}

export function BrokerPanel({ model, visible }: { model: WorkbenchModel; visible: boolean }) {
  const port = model.data.manifest.inspector?.port;
  const url = port ? model.portUrls.value[port] : undefined;
  const [inspector, setInspector] = useState<Inspector | null>(null);
  const [status, setStatus] = useState('');
  const [keys, setKeys] = useState<{ keys: KeyView[]; truncated: boolean } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [monitor, setMonitor] = useState<string[]>([]);
  const [paused, setPaused] = useState(false);
  const [log, setLog] = useState<{ line: string; text: string }[]>([]);
  const [history, setHistory] = useState<string[]>([]);
  const historyAt = useRef(-1);
  const input = useRef<HTMLInputElement>(null);
  const [view, setView] = useState<View>('keys');
  const monitorBox = useRef<HTMLPreElement>(null);
  const consoleBox = useRef<HTMLPreElement>(null);
  // New lines scroll into sight unless the reader has scrolled up to read older ones.
  const atBottom = useRef({ monitor: true, console: true });
  const toEnd = (box: HTMLElement | null, follow: boolean, shown: boolean) => follow && shown && box && (box.scrollTop = box.scrollHeight);
  useLayoutEffect(() => void toEnd(monitorBox.current, atBottom.current.monitor, visible && view === 'monitor'), [monitor, view, visible]);
  useLayoutEffect(() => void toEnd(consoleBox.current, atBottom.current.console, visible && view === 'console'), [log, view, visible]);

  // Bumped to connect again after the broker went away (a restart keeps its address in a WebContainer).
  const [attempt, setAttempt] = useState(0);

  // Connected while the sandbox runs, shown or not: the MONITOR stream then holds what was done
  // in the preview while this tab was hidden behind it.
  useEffect(() => {
    if (!url) return;
    const secret = model.inspectorSecret.value;
    let alive = true;
    let ins: Inspector | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    setStatus('connecting…');
    replySchema().then(
      (schema) => {
        if (!alive) return;
        const connection = (ins = new Inspector(url, secret, schema));
        connection.onClose = (why, refused) => {
          if (!alive) return;
          if (refused) return void (setStatus(`refused: ${why}`), setInspector(null));
          setStatus(`disconnected: ${why}; reconnecting…`);
          setInspector(null);
          retry = setTimeout(() => alive && setAttempt((n) => n + 1), RECONNECT_MS);
        };
        // A busy broker sends hundreds of lines a second: they are rendered once a frame, together.
        let pending: string[] = [];
        let frame = 0;
        connection.onMonitor = (line) => {
          if (!alive) return;
          pending.push(line);
          // No frames come while the page is in the background: keep only what would be shown.
          if (pending.length > 2 * MONITOR_LINES) pending = pending.slice(-MONITOR_LINES);
          frame ||= requestAnimationFrame(() => {
            frame = 0;
            const lines = pending;
            pending = [];
            if (alive) setMonitor((m) => [...m, ...lines].slice(-MONITOR_LINES));
          });
        };
        connection.opened().then(
          () => alive && (setStatus('connected'), setInspector(connection)),
          (e: Error) => alive && setStatus(e.message),
        );
      },
      (e: Error) => alive && setStatus(`the Broker tab could not load: ${e.message}`),
    );
    return () => {
      alive = false;
      clearTimeout(retry);
      ins?.close();
      setInspector(null);
    };
  }, [url, attempt]);

  // Keys, refreshed live while connected and shown.
  useEffect(() => {
    if (!inspector || !visible) return;
    let stop = false;
    const tick = async () => {
      const m = await inspector.request({ type: 'keys' });
      if (stop) return;
      if (m.type === 'keys') setKeys({ keys: m.keys, truncated: m.truncated });
      timer = setTimeout(tick, REFRESH_MS);
    };
    let timer = setTimeout(tick, 0);
    return () => ((stop = true), clearTimeout(timer));
  }, [inspector, visible]);

  useEffect(() => {
    inspector?.monitor(!paused);
  }, [inspector, paused]);

  const run = async (line: string) => {
    if (!inspector || !line.trim()) return;
    setHistory((h) => [...h.filter((x) => x !== line), line].slice(-50));
    historyAt.current = -1;
    const m = await inspector.request({ type: 'command', line });
    setLog((l) => [...l.slice(-99), { line, text: m.type === 'reply' ? m.text : `(error) ${m.type === 'error' ? m.message : 'unexpected answer'}` }]);
  };

  if (!port) return <p class="hp-placeholder">This sandbox has no broker to look inside.</p>;
  if (!url) return <p class="hp-placeholder">Press Run: the broker's keys, its command stream and a console appear here.</p>;

  const tracked = (which: 'monitor' | 'console') => (e: Event) => {
    const box = e.currentTarget as HTMLElement;
    atBottom.current[which] = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  };
  const tab = (v: View, extra?: string) => (
    <button role="tab" id={`hp-broker-tab-${v}`} class="hp-tab" aria-selected={view === v} aria-controls={`hp-broker-${v}`} tabIndex={rovingTabIndex(view === v)} onClick={() => setView(v)}>
      {VIEWS.find((x) => x.id === v)!.label}
      {extra && <span class="hp-muted"> {extra}</span>}
    </button>
  );

  return (
    <div class="hp-broker">
      <div class="hp-broker-head">
        <div class="hp-tabs" role="tablist" aria-label="Broker views" onKeyDown={onTabListKey}>
          {tab('keys', keys ? `(${keys.keys.length}${keys.truncated ? '+' : ''})` : undefined)}
          {tab('monitor')}
          {tab('console')}
        </div>
        <p class="hp-broker-status" role="status">Broker: {status}</p>
      </div>
      <section class="hp-broker-view hp-broker-keys" id="hp-broker-keys" role="tabpanel" aria-label="Keys" hidden={view !== 'keys'}>
        {keys && keys.keys.length === 0 && <p class="hp-muted">No keys yet.</p>}
        <ul>
          {keys?.keys.map((k) => (
            <li key={k.key} data-key={k.key}>
              <button class="hp-key" aria-expanded={open === k.key} onClick={() => setOpen(open === k.key ? null : k.key)}>
                <span class={`hp-type hp-type-${k.type}`}>{k.type}</span> {k.key}
                <span class="hp-muted"> · {k.size}{k.ttl >= 0 ? ` · ttl ${Math.ceil(k.ttl / 1000)} s` : ''}</span>
              </button>
              {open === k.key && <pre class="hp-key-value">{JSON.stringify(k.value, null, 2)}</pre>}
            </li>
          ))}
        </ul>
      </section>
      <section class="hp-broker-view hp-broker-monitor" id="hp-broker-monitor" role="tabpanel" aria-label="Command stream" hidden={view !== 'monitor'}>
        <div class="hp-broker-tools">
          <span class="hp-muted">Every command the broker runs (MONITOR), newest last</span>
          <span class="hp-spacer" />
          <button class="hp-small" aria-pressed={paused} onClick={() => setPaused(!paused)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button class="hp-small" onClick={() => setMonitor([])}>Clear</button>
        </div>
        <pre class="hp-monitor-lines" data-testid="monitor" ref={monitorBox} onScroll={tracked('monitor')} tabIndex={0} aria-label="Commands">
          {monitor.join('\n')}
        </pre>
      </section>
      <section class="hp-broker-view hp-broker-console" id="hp-broker-console" role="tabpanel" aria-label="Console" hidden={view !== 'console'}>
        <pre class="hp-console-log" data-testid="console" ref={consoleBox} onScroll={tracked('console')} tabIndex={0} aria-label="Console output">
          {log.map((e) => `> ${e.line}\n${e.text}`).join('\n')}
        </pre>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const line = input.current!.value;
            input.current!.value = '';
            void run(line);
          }}
        >
          <input
            ref={input}
            class="hp-console-input"
            aria-label="Broker command"
            placeholder={inspector ? 'e.g. KEYS *  or  HGETALL bull:emails:1' : 'connecting…'}
            disabled={!inspector}
            autocomplete="off"
            spellcheck={false}
            onKeyDown={(e) => {
              // Up and Down walk the history, as in redis-cli.
              if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
              e.preventDefault();
              const at = historyAt.current < 0 ? history.length : historyAt.current;
              const next = Math.min(history.length, Math.max(0, at + (e.key === 'ArrowUp' ? -1 : 1)));
              historyAt.current = next;
              input.current!.value = history[next] ?? '';
            }}
          />
        </form>
      </section>
    </div>
  );
}
