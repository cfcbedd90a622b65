// The hotpot analogy as numbers and as a story. B (the guest, a browser) is shopping on the way
// to A's (the host, a server) hotpot. B asks questions; A has news ("buy dipping sauce") at
// random moments. For four ways of getting A's news to B, this module works out what the
// shopping trip costs (requests, messages, connections) and how late the news arrives, and
// lists the frames of the animated sequence diagram. Pure and framework-free: the Preact view
// and the unit tests both import it.
//
// Model: news arrives as a Poisson process at newsPerMinute; one-way latency is rttMs / 2.
// Counts are whole numbers (expected values, rounded); delays are in milliseconds.

export const TECHNIQUES = ['polling', 'long-polling', 'sse', 'websocket'] as const;
export type Technique = (typeof TECHNIQUES)[number];

export const TECHNIQUE_NAMES: Record<Technique, string> = {
  polling: 'HTTP polling',
  'long-polling': 'Long polling',
  sse: 'Server-sent events',
  websocket: 'WebSocket',
};

export interface Params {
  /** Polling: seconds between two "anything new?" requests (slider). */
  pollIntervalS: number;
  /** How often A has news for B, per minute (slider). */
  newsPerMinute: number;
  /** Length of the shopping trip. */
  durationS: number;
  /** Round trip between B and A; a message takes half of it. */
  rttMs: number;
  /** Long polling: A answers "nothing" after holding a request this long. */
  longPollTimeoutS: number;
  /** SSE and WebSocket: a keep-alive (SSE comment, WebSocket ping and pong) this often. */
  keepAliveS: number;
}

export const DEFAULT_PARAMS: Params = {
  pollIntervalS: 10,
  newsPerMinute: 2,
  durationS: 600,
  rttMs: 100,
  longPollTimeoutS: 30,
  keepAliveS: 30,
};

export const SLIDERS = {
  pollIntervalS: { min: 1, max: 60, step: 1 },
  newsPerMinute: { min: 0.5, max: 30, step: 0.5 },
} as const;

export interface Figures {
  /** HTTP requests B opens (for SSE and WebSocket: the one that opens the stream). */
  requests: number;
  /** Everything sent in either direction: requests, answers (empty ones too), pushes, keep-alives. */
  messages: number;
  /** Answers that carry no news: "nothing new". */
  emptyAnswers: number;
  /** Connections opened, one per phone call. */
  connections: number;
  /** Average time from A having news to B hearing it. */
  avgDelayMs: number;
  /** Worst such time. */
  worstDelayMs: number;
}

export const FIGURES = ['requests', 'messages', 'emptyAnswers', 'connections', 'avgDelayMs', 'worstDelayMs'] as const satisfies readonly (keyof Figures)[];
export type Figure = (typeof FIGURES)[number];

/** Expected number of pieces of news during the trip. */
export function newsCount(p: Params): number {
  return (p.newsPerMinute / 60) * p.durationS;
}

/** Probability that a stretch of `seconds` passes with no news. */
function quiet(p: Params, seconds: number): number {
  return Math.exp(-(p.newsPerMinute / 60) * seconds);
}

export function figures(technique: Technique, p: Params): Figures {
  const rate = p.newsPerMinute / 60; // news per second
  const oneWay = p.rttMs / 2;
  switch (technique) {
    case 'polling': {
      // B asks every pollIntervalS; each ask is a request and an answer, and the call ends.
      // An answer is empty when no news came since the previous ask.
      const requests = Math.floor(p.durationS / p.pollIntervalS);
      return {
        requests,
        messages: 2 * requests,
        emptyAnswers: Math.round(requests * quiet(p, p.pollIntervalS)),
        connections: requests,
        // News waits for the next ask (half an interval on average, a whole one at worst),
        // then the answer travels back.
        avgDelayMs: (p.pollIntervalS * 1000) / 2 + oneWay,
        worstDelayMs: p.pollIntervalS * 1000 + oneWay,
      };
    }
    case 'long-polling': {
      // A holds each request until the first news or the timeout, answers, and B asks again
      // at once: between A's answer and the next request reaching A there is one round trip
      // with no open request, and news in that gap waits for it.
      const T = p.longPollTimeoutS;
      const held = rate > 0 ? (1 - quiet(p, T)) / rate : T; // mean seconds a request is held
      const cycleS = held + p.rttMs / 1000;
      const requests = Math.round(p.durationS / cycleS);
      const gapShare = p.rttMs / 1000 / cycleS;
      return {
        requests,
        messages: 2 * requests,
        emptyAnswers: Math.round(requests * quiet(p, T)),
        connections: requests,
        avgDelayMs: oneWay + gapShare * oneWay,
        worstDelayMs: p.rttMs + oneWay,
      };
    }
    case 'sse': {
      // One request opens a response that never ends; each news is an event on it. B's own
      // questions still need ordinary requests (not counted here: this is about A's news).
      const keepAlives = Math.floor(p.durationS / p.keepAliveS);
      return {
        requests: 1,
        messages: 2 + Math.round(newsCount(p)) + keepAlives,
        emptyAnswers: 0,
        connections: 1,
        avgDelayMs: oneWay,
        worstDelayMs: oneWay,
      };
    }
    case 'websocket': {
      // One upgrade request and its 101 answer, then frames both ways on the same connection.
      const keepAlives = Math.floor(p.durationS / p.keepAliveS);
      return {
        requests: 1,
        messages: 2 + Math.round(newsCount(p)) + 2 * keepAlives,
        emptyAnswers: 0,
        connections: 1,
        avgDelayMs: oneWay,
        worstDelayMs: oneWay,
      };
    }
  }
}

export function compare(p: Params): Record<Technique, Figures> {
  return Object.fromEntries(TECHNIQUES.map((t) => [t, figures(t, p)])) as Record<Technique, Figures>;
}

// ---------------------------------------------------------------------------------------
// The story, frame by frame.

export type Party = 'A' | 'B';
export type FrameKind = 'request' | 'response' | 'push' | 'open' | 'close' | 'ping';

export interface Frame {
  from: Party;
  to: Party;
  /** What is said, on the arrow. */
  label: string;
  kind: FrameKind;
  /** Whether the phone line is open once this frame has been sent. */
  lineOpen: boolean;
  /** True when the message goes on a second, short call beside the open line (SSE's questions). */
  sideCall?: boolean;
  /** True when it carries A's news to B (pushes always do). */
  news?: boolean;
  /** The story, in one sentence. */
  story: string;
  /** What it is on the wire. */
  http: string;
}

const B_TO_A = { from: 'B', to: 'A' } as const;
const A_TO_B = { from: 'A', to: 'B' } as const;

const STORIES: Record<Technique, Frame[]> = {
  polling: [
    { ...B_TO_A, label: 'Spinach?', kind: 'request', lineOpen: true, story: 'B calls A from the vegetable stall.', http: 'B opens a request: GET /ask?item=spinach' },
    { ...A_TO_B, label: 'Yes', kind: 'response', lineOpen: false, story: 'A says yes, and both hang up.', http: '200 OK {"bring": true}. The request is over.' },
    { ...B_TO_A, label: 'Shrimp?', kind: 'request', lineOpen: true, story: 'At the fish stall, B calls again.', http: 'A new request: GET /ask?item=shrimp' },
    { ...A_TO_B, label: 'No', kind: 'response', lineOpen: false, story: 'A says no. Hung up again.', http: '200 OK {"bring": false}' },
    { ...B_TO_A, label: 'Anything new?', kind: 'request', lineOpen: true, story: 'A cannot call B, so B checks in every few minutes just in case.', http: 'A poll from a timer: GET /news' },
    { ...A_TO_B, label: 'Nothing', kind: 'response', lineOpen: false, story: 'Nothing new. A call for nothing.', http: '204 No Content: an empty answer, a round trip wasted.' },
    { ...B_TO_A, label: 'Anything new?', kind: 'request', lineOpen: true, story: 'A noticed the dipping sauce is missing a while ago, but had to wait for this call.', http: 'The next poll: GET /news' },
    { ...A_TO_B, label: 'Dipping sauce!', kind: 'response', lineOpen: false, news: true, story: 'A finally says it: buy dipping sauce.', http: '200 OK [{"buy": "dipping sauce"}], up to one poll interval late.' },
    { ...B_TO_A, label: 'Anything new?', kind: 'request', lineOpen: true, story: 'B keeps calling, news or not.', http: 'GET /news' },
    { ...A_TO_B, label: 'Wine too!', kind: 'response', lineOpen: false, news: true, story: 'A bottle of wine as well. Hung up.', http: '200 OK [{"buy": "wine"}]' },
  ],
  'long-polling': [
    { ...B_TO_A, label: 'Spinach?', kind: 'request', lineOpen: true, story: 'B calls A from the vegetable stall.', http: 'B opens a request: GET /ask?item=spinach' },
    { ...A_TO_B, label: 'Yes', kind: 'response', lineOpen: false, story: 'A says yes, and both hang up.', http: '200 OK {"bring": true}' },
    { ...B_TO_A, label: 'Anything new?', kind: 'request', lineOpen: true, story: 'B calls and stays on the line. A has nothing yet, so A says nothing and keeps holding.', http: 'GET /news. The server does not answer yet: it holds the request open.' },
    { ...A_TO_B, label: 'Dipping sauce!', kind: 'response', lineOpen: false, news: true, story: 'The moment A misses the sauce, A says so. Then the call ends.', http: '200 OK [{"buy": "dipping sauce"}]. The answer completes the request.' },
    { ...B_TO_A, label: 'Anything new?', kind: 'request', lineOpen: true, story: 'B calls straight back and waits again.', http: 'A new GET /news. News during the round trip between the two requests has to wait for it.' },
    { ...A_TO_B, label: 'Nothing', kind: 'response', lineOpen: false, story: 'After a long silence A says "nothing", so that nobody cuts the call.', http: '204 No Content after the 30 s timeout, before a proxy gives up on the request.' },
    { ...B_TO_A, label: 'Anything new?', kind: 'request', lineOpen: true, story: 'B calls back once more.', http: 'GET /news, held open again.' },
    { ...A_TO_B, label: 'Wine too!', kind: 'response', lineOpen: false, news: true, story: 'Wine too. A answers at once; B will call back.', http: '200 OK [{"buy": "wine"}]' },
  ],
  sse: [
    { ...B_TO_A, label: 'Tell me news', kind: 'open', lineOpen: true, story: 'B calls and asks A to keep talking whenever there is news.', http: "new EventSource('/news'): GET /news with Accept: text/event-stream. A answers 200 and never finishes the response." },
    { ...A_TO_B, label: 'Dipping sauce!', kind: 'push', lineOpen: true, story: 'A speaks first: buy dipping sauce.', http: 'The server writes an event to the open response: data: {"buy": "dipping sauce"}' },
    { ...B_TO_A, label: 'Spinach?', kind: 'request', lineOpen: true, sideCall: true, story: 'B can only listen on this line. To ask something, B makes a second, ordinary call.', http: 'A separate request beside the stream: POST /ask {"item": "spinach"}' },
    { ...A_TO_B, label: 'Yes', kind: 'response', lineOpen: true, sideCall: true, story: 'A answers on the second call. The first line stays open.', http: '200 OK {"bring": true} ends the POST; the event stream goes on.' },
    { ...A_TO_B, label: '(still here)', kind: 'ping', lineOpen: true, story: 'A quiet line can look dead, so A murmurs now and then.', http: 'A comment line, ": keep-alive", every 30 s so that proxies do not close the idle response.' },
    { ...A_TO_B, label: 'Wine too!', kind: 'push', lineOpen: true, story: 'Wine too, straight away.', http: 'data: {"buy": "wine"}. The browser fires a message event.' },
    { ...B_TO_A, label: 'Arrived, bye', kind: 'close', lineOpen: false, story: 'B is at the door and hangs up.', http: 'eventSource.close(). Had the connection dropped, EventSource would have reconnected by itself.' },
  ],
  websocket: [
    { ...B_TO_A, label: 'Stay on the line?', kind: 'open', lineOpen: true, story: 'Even here B dials: the browser always starts the connection.', http: "new WebSocket('wss://…/ws'): GET /ws with Upgrade: websocket" },
    { ...A_TO_B, label: 'Sure', kind: 'response', lineOpen: true, story: 'A agrees to stay on. From now on either side can talk at any time.', http: '101 Switching Protocols. This is no longer HTTP: the connection carries WebSocket frames.' },
    { ...A_TO_B, label: 'Dipping sauce!', kind: 'push', lineOpen: true, story: 'A speaks first: buy dipping sauce. No question needed.', http: "The server calls ws.send('dipping sauce'); the browser's message event fires about half a round trip later." },
    { ...B_TO_A, label: 'Spinach?', kind: 'request', lineOpen: true, story: 'B asks on the same line.', http: "socket.send('spinach?'): one small frame, no new request, no headers." },
    { ...A_TO_B, label: 'Yes', kind: 'response', lineOpen: true, story: 'A answers. Nobody hangs up.', http: "ws.send('yes') on the same connection." },
    { ...A_TO_B, label: 'Ping', kind: 'ping', lineOpen: true, story: '"Still there?" "Yes." A checks the line is alive.', http: 'A ping frame, answered by a pong, every 30 s: idle connections survive proxies, and a dead one is noticed.' },
    { ...A_TO_B, label: 'Wine too!', kind: 'push', lineOpen: true, story: 'Wine too, straight away.', http: "ws.send('wine')" },
    { ...B_TO_A, label: 'Arrived, bye', kind: 'close', lineOpen: false, story: 'B is at the door and hangs up.', http: 'socket.close(1000): a close frame, answered by one, and the connection ends.' },
  ],
};

export function frames(technique: Technique): readonly Frame[] {
  return STORIES[technique];
}

/** Whether the line is open while frame i travels: open before it, or opened by it. */
export function lineLiveDuring(list: readonly Frame[], i: number): boolean {
  const before = i > 0 ? list[i - 1]!.lineOpen : false;
  return before || list[i]!.lineOpen;
}

/**
 * The calls, as runs of consecutive frames [first, last] during which one line is up. A call
 * ends with the frame that hangs up. SSE's side calls ride beside the open line.
 */
export function calls(list: readonly Frame[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  list.forEach((f, i) => {
    if (!lineLiveDuring(list, i)) return;
    if (start < 0) start = i;
    if (!f.lineOpen) (out.push([start, i]), (start = -1));
  });
  if (start >= 0) out.push([start, list.length - 1]);
  return out;
}

// ---------------------------------------------------------------------------------------
// Formatting, shared by the view and its tests.

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en');
}

export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${s < 10 ? Math.round(s * 10) / 10 : Math.round(s)} s`;
}

export function formatFigure(figure: Figure, value: number): string {
  return figure === 'avgDelayMs' || figure === 'worstDelayMs' ? formatDelay(value) : formatCount(value);
}
