// The browser side of a room: one WebSocket, reconnected with backoff when it drops, asking
// on the way back for the messages said while it was away (once the server keeps them: step 6).

/** ws:// on an http page, wss:// on https, to a path relative to this page. */
export function socketUrl(path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** Whether stream id a ("ms-seq") comes after b. */
function newer(a, b) {
  const [aMs, aSeq] = a.split('-').map(BigInt);
  const [bMs, bSeq] = b.split('-').map(BigInt);
  return aMs > bMs || (aMs === bMs && aSeq > bSeq);
}

const CLOSE_MEANING = {
  1000: 'closed normally',
  1001: 'the server is going away',
  1003: 'unsupported data',
  1006: 'the connection dropped',
  1007: 'invalid message',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error',
};

export function startChat(doc) {
  const params = new URLSearchParams(location.search);
  const room = /^[A-Za-z0-9_-]{1,40}$/.test(params.get('room') ?? '') ? params.get('room') : 'hotpot';
  let name = (params.get('name') ?? '').trim() || `guest-${Math.random().toString(36).slice(2, 6)}`;
  // The workbench's panes are A and B. The same page opened in a tab of its own (the ↗
  // button) is another participant: it gets a name of its own, so A does not join twice.
  if (window.self === window.top && (name === 'A' || name === 'B')) name = `${name} (tab)`;
  const $ = (id) => doc.getElementById(id);
  const log = $('log');
  const status = $('status');
  const input = $('text');
  const sendButton = $('send-button');
  $('title').textContent = `#${room}`;
  $('rooms-link').href = `./?${new URLSearchParams({ name })}`;
  doc.title = `#${room} · ${name}`;

  let socket = null;
  let attempt = 0;
  let retryTimer = 0;
  // The id of the newest message this page has shown (a page is one room). Ids are the room
  // stream's, "ms-seq": compared as numbers, since messages sent through two instances at
  // once can arrive out of order.
  let lastId = null;

  function line(kind, parts) {
    const li = doc.createElement('li');
    li.className = kind;
    li.dataset.type = kind;
    for (const [cls, text] of parts) {
      const span = doc.createElement('span');
      if (cls) span.className = cls;
      span.textContent = text;
      li.append(span);
    }
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    log.append(li);
    if (atBottom) log.scrollTop = log.scrollHeight;
    return li;
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
    status.title = text;
    input.disabled = sendButton.disabled = state !== 'open';
  }

  function connect() {
    setStatus('connecting', attempt ? `reconnecting (attempt ${attempt})…` : 'connecting…');
    // Like SSE's Last-Event-ID: the server replays what came after it, then the live messages.
    const after = lastId;
    const query = new URLSearchParams(after ? { name, after } : { name });
    socket = new WebSocket(socketUrl(`ws/chat/${encodeURIComponent(room)}?${query}`));
    socket.addEventListener('message', (e) => {
      let event;
      try {
        event = JSON.parse(e.data);
      } catch {
        return line('system', [[null, `(the server sent something that is not JSON: ${String(e.data).slice(0, 80)})`]]);
      }
      if (event.type === 'welcome') {
        attempt = 0;
        setStatus('open', `connected to instance ${event.instance} as ${event.name}`);
        if (after) line('system', [[null, `back on instance ${event.instance}: asked for the messages after ${after}`]]);
      } else if (event.type === 'message') {
        const li = line('message', [['who', event.name], [null, event.text], ['via', `via ${event.instance}`]]);
        li.dataset.name = event.name;
        if (event.name === name) li.classList.add('mine');
        if (typeof event.id === 'string' && /^\d+-\d+$/.test(event.id)) {
          li.dataset.id = event.id;
          if (!lastId || newer(event.id, lastId)) lastId = event.id;
        }
      } else if (event.type === 'join' || event.type === 'leave') {
        const li = line(event.type, [[null, `${event.name} ${event.type === 'join' ? 'joined' : 'left'} the room`], ['via', `via ${event.instance}`]]);
        li.dataset.name = event.name;
      }
    });
    socket.addEventListener('close', (e) => {
      const meaning = CLOSE_MEANING[e.code] ?? 'closed';
      // Exponential backoff with jitter: a restarted server is not hit by every page at once.
      const delay = Math.min(10_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt++;
      setStatus('closed', `disconnected: ${e.code} ${meaning}${e.reason ? ` (${e.reason})` : ''}; retrying in ${(delay / 1000).toFixed(1)} s`);
      line('system', [[null, `connection closed: ${e.code} ${meaning}${e.reason ? `, “${e.reason}”` : ''}`]]);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, delay);
    });
  }

  function send(data) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    // Back-pressure: if earlier messages have not left this browser yet, do not pile on more.
    if (socket.bufferedAmount > 1 << 20) {
      line('system', [[null, 'the connection is backed up; try again in a moment']]);
      return false;
    }
    socket.send(data);
    return true;
  }

  $('send').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (text && send(JSON.stringify({ type: 'message', text }))) input.value = '';
  });
  for (const button of doc.querySelectorAll('[data-bad]'))
    button.addEventListener('click', () => {
      const kind = button.dataset.bad;
      // A short message padded with spaces (valid JSON) to 10 KB: only maxPayload can refuse it.
      if (kind === 'big') send(`${JSON.stringify({ type: 'message', text: 'a 10 KB frame' })}${' '.repeat(10 * 1024)}`);
      if (kind === 'long') send(JSON.stringify({ type: 'message', text: 'x'.repeat(600) }));
      if (kind === 'garbage') send('}{ this is not JSON');
      if (kind === 'binary') send(new Uint8Array([0x93, 0xff, 0x00, 0x41]));
    });
  connect();
}
