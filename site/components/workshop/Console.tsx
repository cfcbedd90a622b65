// The instructor's console: create a workshop and share it (link, code, QR), then watch the
// class live — a grid of attendees × steps, who is stuck, the help queue — and lead it
// (follow me, a countdown for an exercise), export progress as CSV, end it.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import type { AttendeeView, HubMessage, Workshop } from '../../../workshop/schema.ts';
import { duration, stuck } from '../../../workshop/progress.ts';
import { HubSocket } from './client.ts';
import { Qr } from './Qr.tsx';
import './workshop.css';

interface Course {
  lessons: { id: string; title: string; order: number; steps: { id: string; title: string }[] }[];
}
const KEY = 'hotpot:workshop:instructor';
const OPEN = 'hotpot:workshop:open';
/** Seen by the hub within this long: online. */
const ONLINE_MS = 60_000;

function session(key: string, value?: string | null): string | null {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else if (value !== undefined) sessionStorage.setItem(key, value);
    return sessionStorage.getItem(key);
  } catch {
    return value ?? null;
  }
}

export default function Console() {
  const [key, setKey] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    // The secret arrives in the link's #fragment (never sent to a server) and stays in this tab.
    const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
    if (m) {
      session(KEY, decodeURIComponent(m[1]!));
      history.replaceState(null, '', location.pathname + location.search);
    }
    setKey(session(KEY));
  }, []);
  if (key === undefined) return <div class="ws-page">Loading…</div>;
  if (!key)
    return (
      <div class="ws-page">
        <h1>Workshop console</h1>
        <p>
          Open the instructor’s link that <code>npm run workshop</code> printed when it started (it ends with <code>#key=…</code>).
        </p>
      </div>
    );
  return <Live secret={key} forget={() => (session(KEY, null), setKey(null))} />;
}

function Live({ secret, forget }: { secret: string; forget: () => void }) {
  const s = useMemo(
    () => ({
      workshops: signal<Workshop[]>([]),
      open: signal<Workshop | null>(null),
      attendees: signal<Map<string, AttendeeView>>(new Map()),
      course: signal<Course | null>(null),
      now: signal(Date.now()),
      error: signal(''),
      files: signal<Map<string, { lesson: string; step: string; files: Record<string, string> }>>(new Map()),
    }),
    [],
  );
  const [socket, setSocket] = useState<HubSocket | null>(null);

  useEffect(() => {
    void fetch('/workshop/course.json')
      .then((r) => r.json())
      .then((c: Course) => (s.course.value = c))
      .catch(() => (s.error.value = 'The course’s list of lessons could not be loaded.'));
    const sock = new HubSocket(
      location.origin,
      () => ({ type: 'hello', role: 'instructor', secret }),
      (m: HubMessage) => {
        switch (m.type) {
          case 'workshops': {
            s.workshops.value = m.workshops;
            // After a reconnect: the same workshop, fresh from the hub.
            const open = s.open.value?.id ?? session(OPEN);
            if (open && m.workshops.some((w) => w.id === open)) sock.send({ type: 'open', workshop: open });
            break;
          }
          case 'console':
            s.open.value = m.workshop;
            s.attendees.value = new Map(m.attendees.map((a) => [a.id, a]));
            session(OPEN, m.workshop.id);
            if (!s.workshops.value.some((w) => w.id === m.workshop.id)) s.workshops.value = [m.workshop, ...s.workshops.value];
            break;
          case 'workshop':
            s.workshops.value = s.workshops.value.some((w) => w.id === m.workshop.id) ? s.workshops.value.map((w) => (w.id === m.workshop.id ? m.workshop : w)) : [m.workshop, ...s.workshops.value];
            if (s.open.value?.id === m.workshop.id) s.open.value = m.workshop;
            break;
          case 'attendee':
            if (s.open.value?.id === m.attendee.workshop) s.attendees.value = new Map(s.attendees.value).set(m.attendee.id, m.attendee);
            break;
          case 'error':
            s.error.value = m.message;
            break;
          case 'files':
            s.files.value = new Map(s.files.value).set(m.attendee, m);
            break;
        }
      },
    );
    sock.keepAlive();
    setSocket(sock);
    const tick = setInterval(() => (s.now.value = Date.now()), 1000);
    return () => (clearInterval(tick), sock.close());
  }, []);

  const status = socket?.status.value ?? 'connecting';
  if (status === 'refused')
    return (
      <div class="ws-page">
        <h1>Workshop console</h1>
        <p class="ws-error">{socket?.error.value}</p>
        <button type="button" onClick={forget}>
          Forget this link
        </button>
      </div>
    );
  const open = s.open.value;
  return (
    <div class="ws-page" data-connection={status}>
      <p class="ws-muted" role="status">
        <span class={`ws-dot ws-dot-${status}`} /> {status === 'open' ? 'Connected to the hub' : 'Reconnecting to the hub…'}
        {s.error.value && (
          <>
            {' '}
            · <span class="ws-error">{s.error.value}</span>{' '}
            <button type="button" onClick={() => (s.error.value = '')}>
              Dismiss
            </button>
          </>
        )}
      </p>
      {open ? (
        <WorkshopView w={open} attendees={[...s.attendees.value.values()]} files={s.files.value} course={s.course.value} now={s.now.value} socket={socket!} secret={secret} close={() => ((s.open.value = null), session(OPEN, null))} />
      ) : (
        <Home workshops={s.workshops.value} course={s.course.value} socket={socket} />
      )}
    </div>
  );
}

function Home({ workshops, course, socket }: { workshops: Workshop[]; course: Course | null; socket: HubSocket | null }) {
  const [title, setTitle] = useState('');
  const [lessons, setLessons] = useState<string[]>([]);
  const [ends, setEnds] = useState('');
  useEffect(() => {
    if (course && lessons.length === 0) setLessons(course.lessons.map((l) => l.id));
  }, [course]);
  const create = (e: Event) => {
    e.preventDefault();
    const endsAt = ends ? new Date(ends).getTime() : null;
    socket?.send({ type: 'create', title: title.trim(), lessons, endsAt: endsAt && Number.isFinite(endsAt) ? endsAt : null });
  };
  return (
    <>
      <h1>Workshop console</h1>
      <h2>Create a workshop</h2>
      <form class="ws-form" onSubmit={create}>
        <label>
          Title
          <input name="title" required maxLength={120} value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
        </label>
        <fieldset>
          <legend>Lessons</legend>
          {course?.lessons.map((l) => (
            <label key={l.id}>
              <input type="checkbox" checked={lessons.includes(l.id)} onChange={(e) => setLessons((e.target as HTMLInputElement).checked ? [...lessons, l.id] : lessons.filter((x) => x !== l.id))} />
              {l.order}. {l.title}
            </label>
          )) ?? 'Loading the lessons…'}
        </fieldset>
        <label>
          Ends at (optional)
          <input type="datetime-local" value={ends} onInput={(e) => setEnds((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="ws-primary" disabled={!lessons.length}>
          Create
        </button>
      </form>
      {workshops.length > 0 && (
        <>
          <h2>Workshops on this hub</h2>
          <ul>
            {workshops.map((w) => (
              <li key={w.id}>
                <button type="button" onClick={() => socket?.send({ type: 'open', workshop: w.id })}>
                  Open
                </button>{' '}
                {w.title} <span class="ws-muted">({w.code}, {new Date(w.createdAt).toLocaleString()}{w.ended ? ', ended' : ''})</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

type Sort = 'joined' | 'name' | 'ahead' | 'behind' | 'stuck';
type Filter = 'all' | 'stuck' | 'help' | 'online';

type Files = Map<string, { lesson: string; step: string; files: Record<string, string> }>;

/** A step's state as the grid shows it: its mark, and the same in words (never colour alone). */
function stepState(p: AttendeeView['steps'][string] | undefined): { state: string; mark: string; label: string } {
  if (!p) return { state: 'none', mark: '·', label: 'not started' };
  if (p.state === 'failed') return { state: p.state, mark: `✗${p.fails}`, label: `Check failed ${p.fails}×` };
  if (p.state === 'passed') return { state: p.state, mark: '✓', label: 'passed' };
  if (p.state === 'running') return { state: p.state, mark: '▶', label: 'running' };
  return { state: p.state, mark: '✎', label: 'editing' };
}

function WorkshopView(props: { w: Workshop; attendees: AttendeeView[]; files: Files; course: Course | null; now: number; socket: HubSocket; secret: string; close: () => void }) {
  const { w, attendees, course, now, socket, secret } = props;
  const [lookAt, setLookAt] = useState<string | null>(null);
  const status = socket.status.value;
  // Looking is per connection: after a reconnect, ask again.
  useEffect(() => {
    if (!lookAt || status !== 'open') return;
    socket.send({ type: 'look', workshop: w.id, attendee: lookAt });
    return () => socket.send({ type: 'unlook', workshop: w.id, attendee: lookAt });
  }, [lookAt, status]);
  const [sort, setSort] = useState<Sort>('joined');
  const [filter, setFilter] = useState<Filter>('all');
  const [search, setSearch] = useState('');
  const [lead, setLead] = useState('');
  const [paceLabel, setPaceLabel] = useState('Exercise');
  const [paceMinutes, setPaceMinutes] = useState('10');
  const joinLink = `${location.origin}/join/?code=${w.code}`;

  const columns = w.lessons.flatMap((id) => {
    const l = course?.lessons.find((x) => x.id === id);
    return l ? l.steps.map((s, i) => ({ key: `${id}/${s.id}`, lesson: id, lessonTitle: l.title, step: s.id, title: s.title, n: i + 1 })) : [];
  });
  const stepTitle = (lesson: string | null, step: string | null) => columns.find((c) => c.lesson === lesson && c.step === step)?.title ?? step ?? '';
  const passedCount = (a: AttendeeView) => Object.values(a.steps).filter((p) => p.state === 'passed').length;

  const rows = attendees
    .map((a) => ({ a, stuck: stuck(a, now), online: now - a.lastSeen < ONLINE_MS }))
    .filter(({ a, stuck, online }) => {
      if (search && !a.name.toLowerCase().includes(search.toLowerCase())) return false;
      if (filter === 'stuck') return stuck.stuck;
      if (filter === 'help') return a.note?.kind === 'help';
      if (filter === 'online') return online;
      return true;
    })
    .sort((x, y) => {
      switch (sort) {
        case 'name':
          return x.a.name.localeCompare(y.a.name);
        case 'ahead':
          return passedCount(y.a) - passedCount(x.a);
        case 'behind':
          return passedCount(x.a) - passedCount(y.a);
        case 'stuck':
          return Number(y.stuck.stuck) - Number(x.stuck.stuck) || (x.a.stepSince ?? now) - (y.a.stepSince ?? now);
        default:
          return x.a.joinedAt - y.a.joinedAt;
      }
    });
  const queue = attendees.filter((a) => a.note?.kind === 'help').sort((x, y) => x.note!.at - y.note!.at);
  const done = attendees.filter((a) => a.note?.kind === 'done').length;
  const stuckCount = attendees.filter((a) => stuck(a, now).stuck).length;
  const online = attendees.filter((a) => now - a.lastSeen < ONLINE_MS).length;
  const paceLeft = w.pace ? Math.max(0, Math.ceil((w.pace.endsAt - now) / 1000)) : 0;

  const exportCsv = async () => {
    const res = await fetch(`/api/workshop/${w.id}/progress.csv`, { headers: { Authorization: `Bearer ${secret}` } });
    if (!res.ok) return alert(`The export failed: ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement('a'), { href: url, download: `workshop-${w.code}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <>
      <p>
        <button type="button" onClick={props.close}>
          ← All workshops
        </button>
      </p>
      <h1>{w.title}</h1>
      {w.ended && <p class="ws-ended">This workshop has ended: the console and the export are read-only.</p>}
      <section class="ws-share" aria-label="Share the workshop">
        <Qr text={joinLink} label={`QR code of the join link ${joinLink}`} />
        <div class="ws-share-text">
          <span>
            Code: <span class="ws-code" data-testid="workshop-code">{w.code}</span>
          </span>
          <span>
            Join link: <a class="ws-link" href={joinLink} data-testid="join-link">{joinLink}</a>
          </span>
          <span class="ws-muted">
            Or open <strong>{location.host}/join</strong> and type the code.
            {w.endsAt && <> Ends {new Date(w.endsAt).toLocaleString()}.</>}
          </span>
          <span>
            {attendees.length} attendees, {online} online · <span class="ws-sticky ws-sticky-done">{done} done</span> ·{' '}
            <a class="ws-sticky ws-sticky-help" href="#ws-help-queue" title="Go to the help queue">
              {queue.length} help
            </a>{' '}
            · <span class="ws-stuck">{stuckCount} stuck</span>
          </span>
        </div>
      </section>

      {!w.ended && (
        <div class="ws-controls">
          <span>
            <label>
              Follow me:{' '}
              <select value={lead || (w.follow ? `${w.follow.lesson}/${w.follow.step}` : '')} onChange={(e) => setLead((e.target as HTMLSelectElement).value)} aria-label="Step to lead everyone to">
                <option value="">choose a step…</option>
                {columns.map((c) => (
                  <option key={c.key} value={c.key}>
                    {c.lessonTitle} — {c.n}. {c.title}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              disabled={!(lead || w.follow)}
              onClick={() => {
                const [lesson, step] = (lead || `${w.follow!.lesson}/${w.follow!.step}`).split('/');
                socket.send({ type: 'follow', workshop: w.id, lesson, step });
              }}
            >
              Lead everyone here
            </button>
            {w.follow && (
              <button type="button" onClick={() => socket.send({ type: 'unfollow', workshop: w.id })}>
                Stop leading ({stepTitle(w.follow.lesson, w.follow.step)})
              </button>
            )}
          </span>
          <span>
            {w.pace ? (
              <>
                <strong class="ws-pace" data-testid="pace">
                  {w.pace.label}: {paceLeft > 0 ? `${Math.floor(paceLeft / 60)}:${String(paceLeft % 60).padStart(2, '0')} left` : 'time is up'}
                </strong>
                <button type="button" onClick={() => socket.send({ type: 'unpace', workshop: w.id })}>
                  Stop the countdown
                </button>
              </>
            ) : (
              <>
                <input aria-label="Exercise" size={12} maxLength={80} value={paceLabel} onInput={(e) => setPaceLabel((e.target as HTMLInputElement).value)} />
                <input aria-label="Minutes" type="number" min={1} max={240} style="width:4.5rem" value={paceMinutes} onInput={(e) => setPaceMinutes((e.target as HTMLInputElement).value)} />
                <button type="button" onClick={() => socket.send({ type: 'pace', workshop: w.id, label: paceLabel.trim() || 'Exercise', seconds: Math.round(Number(paceMinutes) * 60) })}>
                  Start countdown
                </button>
              </>
            )}
          </span>
          <span>
            <button type="button" onClick={() => void exportCsv()}>
              Export CSV
            </button>
            <button type="button" onClick={() => confirm(`End “${w.title}”? Attendees can no longer report progress; the console stays readable.`) && socket.send({ type: 'end', workshop: w.id })}>
              End workshop
            </button>
          </span>
        </div>
      )}
      {w.ended && (
        <p>
          <button type="button" onClick={() => void exportCsv()}>
            Export CSV
          </button>
        </p>
      )}

      {!w.ended && <Message w={w} socket={socket} />}
      {w.shared && (
        <p class="ws-shown">
          Shown to the class: {w.shared.name}’s <code>{w.shared.path}</code>{' '}
          {!w.ended && (
            <button type="button" onClick={() => socket.send({ type: 'unshare', workshop: w.id })}>
              Stop showing
            </button>
          )}
        </p>
      )}
      {lookAt && <Look w={w} who={attendees.find((a) => a.id === lookAt)} got={props.files.get(lookAt)} socket={socket} close={() => setLookAt(null)} />}

      <h2 id="ws-help-queue">Help queue ({queue.length})</h2>
      {queue.length === 0 ? (
        <p class="ws-muted">Nobody has asked for help.</p>
      ) : (
        <ol class="ws-queue" aria-label="Help queue">
          {queue.map((a) => (
            <li key={a.id}>
              <strong>{a.name}</strong>
              <span class="ws-muted">
                {stepTitle(a.lesson, a.step)} · waiting {duration(now - a.note!.at)}
              </span>
              {a.note!.text && <span>“{a.note!.text}”</span>}
              {!w.ended && (
                <button type="button" onClick={() => socket.send({ type: 'resolve', workshop: w.id, attendee: a.id })}>
                  Resolved
                </button>
              )}
            </li>
          ))}
        </ol>
      )}

      <Numbers attendees={attendees} />

      <h2>Class</h2>
      <div class="ws-controls">
        <label>
          Sort{' '}
          <select value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as Sort)}>
            <option value="joined">by joining</option>
            <option value="name">by name</option>
            <option value="stuck">stuck first</option>
            <option value="behind">furthest behind first</option>
            <option value="ahead">furthest ahead first</option>
          </select>
        </label>
        <label>
          Show{' '}
          <select value={filter} onChange={(e) => setFilter((e.target as HTMLSelectElement).value as Filter)}>
            <option value="all">everyone</option>
            <option value="stuck">only the stuck</option>
            <option value="help">only those asking for help</option>
            <option value="online">only those online</option>
          </select>
        </label>
        <input type="search" placeholder="Find a name" aria-label="Find a name" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
      </div>
      <div class="ws-legend" aria-hidden="true">
        <span><span class="ws-s-none">·</span> not started</span>
        <span><span class="ws-s-editing">✎</span> editing</span>
        <span><span class="ws-s-running">▶</span> running</span>
        <span><span class="ws-s-failed">✗2</span> Check failed (count)</span>
        <span><span class="ws-s-passed">✓</span> passed</span>
        <span class="ws-stuck">⚑ stuck</span>
      </div>
      <div class="ws-grid-wrap">
        <table class="ws-grid" aria-label="Attendees and steps">
          <thead>
            <tr>
              <th colSpan={3} />
              {w.lessons.map((id) => {
                const l = course?.lessons.find((x) => x.id === id);
                return l ? (
                  <th scope="colgroup" class="ws-lessoncol" colSpan={l.steps.length} key={id}>
                    {l.order}. {l.title}
                  </th>
                ) : null;
              })}
            </tr>
            <tr>
              <th scope="col">Attendee</th>
              <th scope="col">Note</th>
              <th scope="col">Time on step</th>
              {columns.map((c) => (
                <th scope="col" class={`ws-stepcol ${c.n === 1 ? 'ws-first' : ''}`} key={c.key} title={`${c.lessonTitle}: ${c.title}`}>
                  {c.n}. {c.title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(({ a, stuck: st, online }) => (
              <tr key={a.id} class={online ? '' : 'ws-offline'} data-attendee={a.name}>
                <th scope="row">
                  <span class={`ws-dot ${online ? 'ws-dot-open' : ''}`} aria-label={online ? 'online' : 'offline'} /> {a.name}{' '}
                  <button type="button" class="ws-look" onClick={() => setLookAt(a.id)} aria-label={`Look at ${a.name}’s files`} title="Look at their files (live, read-only)">
                    files
                  </button>{' '}
                  {st.stuck && (
                    <span class="ws-stuck" title={st.why} data-stuck>
                      ⚑ stuck
                    </span>
                  )}
                </th>
                <td>{a.note ? <span class={`ws-sticky ws-sticky-${a.note.kind}`} title={a.note.text}>{a.note.kind}</span> : ''}</td>
                <td class="ws-time">
                  {a.stepSince ? duration(now - a.stepSince) : '—'}
                  {a.stepSince && <span class="ws-narrow"> on this step</span>}
                </td>
                <Now a={a} columns={columns} />
                {columns.map((c) => {
                  const p = a.steps[c.key];
                  const current = a.lesson === c.lesson && a.step === c.step;
                  const { state, mark, label } = stepState(p);
                  const why = p?.state === 'failed' ? `${label}: ${p.lastReason}` : label;
                  return (
                    <td class={`ws-cell ${c.n === 1 ? 'ws-first' : ''}`} key={c.key} data-key={c.key} data-state={state} title={`${a.name}, ${c.title}: ${why}`}>
                      <span class={`ws-s-${state} ${current ? 'ws-current' : ''}`} aria-label={why}>
                        {mark}
                      </span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {attendees.length === 0 && <p class="ws-muted">No one has joined yet. Share the code or the QR code.</p>}
    </>
  );
}

/**
 * The attendee's current step and its state in words: shown instead of the step columns when
 * the screen is narrow (an instructor walking the room with a phone), hidden on wide ones.
 */
function Now({ a, columns }: { a: AttendeeView; columns: { key: string; lesson: string; lessonTitle: string; step: string; title: string; n: number }[] }) {
  if (!a.lesson || !a.step) return <td class="ws-now ws-muted">not on a step yet</td>;
  const c = columns.find((x) => x.lesson === a.lesson && x.step === a.step);
  const p = a.steps[`${a.lesson}/${a.step}`];
  const { state, mark, label } = stepState(p);
  return (
    <td class="ws-now" data-state={state}>
      <span class="ws-now-step" title={c ? `${c.lessonTitle}: ${c.title}` : undefined}>
        {c ? `${c.n}. ${c.title}` : a.step}
      </span>{' '}
      <span class="ws-now-state">
        <span class={`ws-s-${state}`} aria-hidden="true">
          {mark}
        </span>{' '}
        {label}
      </span>
      {p?.state === 'failed' && p.lastReason && <span class="ws-now-reason ws-muted">{p.lastReason}</span>}
    </td>
  );
}

/** A message to the whole class, maybe with code they can apply to one of their files. */
function Message({ w, socket }: { w: Workshop; socket: HubSocket }) {
  const [text, setText] = useState('');
  const [path, setPath] = useState('');
  const [code, setCode] = useState('');
  const b = w.broadcast;
  return (
    <details class="ws-message" open={!!b}>
      <summary>Message the class{b ? ' (one is shown)' : ''}</summary>
      {b ? (
        <div class="ws-shown">
          <p>
            Shown to everyone since {new Date(b.at).toLocaleTimeString()}: “{b.text}”{b.path && <> with code for <code>{b.path}</code></>}
          </p>
          {b.code && <pre>{b.code}</pre>}
          <button type="button" onClick={() => socket.send({ type: 'unbroadcast', workshop: w.id })}>
            Take it down
          </button>
        </div>
      ) : (
        <form
          class="ws-form"
          onSubmit={(e) => {
            e.preventDefault();
            socket.send({ type: 'broadcast', workshop: w.id, text: text.trim(), code: code || null, path: path.trim() || null });
          }}
        >
          <label>
            Message
            <input maxLength={280} value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} placeholder="Try this in worker.ts:" />
          </label>
          <label>
            Code (optional)
            <textarea rows={5} maxLength={8192} spellcheck={false} value={code} onInput={(e) => setCode((e.target as HTMLTextAreaElement).value)} />
          </label>
          <label>
            The file it replaces (optional; without one, attendees can copy it)
            <input maxLength={200} value={path} onInput={(e) => setPath((e.target as HTMLInputElement).value)} placeholder="worker.ts" />
          </label>
          <button type="submit" disabled={!text.trim() && !code}>
            Show to everyone
          </button>
        </form>
      )}
    </details>
  );
}

/** An attendee's files, live and read-only; one of them can be shown to the whole class. */
function Look({ w, who, got, socket, close }: { w: Workshop; who: AttendeeView | undefined; got: { lesson: string; step: string; files: Record<string, string> } | undefined; socket: HubSocket; close: () => void }) {
  const [path, setPath] = useState('');
  const paths = got ? Object.keys(got.files).sort() : [];
  const shown = path && got?.files[path] !== undefined ? path : (paths[0] ?? '');
  return (
    <section class="ws-lookpanel" aria-label={`${who?.name ?? 'An attendee'}’s files`}>
      <header>
        <strong>{who?.name}’s files</strong> <span class="ws-muted">{got ? `${got.lesson}, ${got.step} · live, read-only` : 'waiting for their browser to send them…'}</span>{' '}
        <button type="button" onClick={close}>
          Close
        </button>
      </header>
      {got && (
        <>
          <div class="ws-controls">
            <select aria-label="File" value={shown} onChange={(e) => setPath((e.target as HTMLSelectElement).value)}>
              {paths.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            {!w.ended && who && shown && (
              <button type="button" onClick={() => socket.send({ type: 'share', workshop: w.id, attendee: who.id, path: shown, contents: got.files[shown] })}>
                Show this file to the class
              </button>
            )}
          </div>
          <pre class="ws-file" data-testid="looked-file">{got.files[shown]}</pre>
        </>
      )}
    </section>
  );
}

/** The class's numbers: each experiment's latest result from every attendee, on one chart. */
function Numbers({ attendees }: { attendees: AttendeeView[] }) {
  // Numeric order, so a sweep's charts follow its parameter (threads2 before threads16).
  const keys = [...new Set(attendees.flatMap((a) => Object.keys(a.results)))].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));
  if (!keys.length) return null;
  return (
    <>
      <h2>The class’s numbers</h2>
      {keys.map((key) => {
        const rows = attendees.flatMap((a) => (a.results[key] ? [{ name: a.name, ...a.results[key]! }] : [])).sort((x, y) => y.value - x.value);
        const max = Math.max(...rows.map((r) => Math.abs(r.value))) || 1;
        const latest = rows.reduce((l, r) => (r.at > l.at ? r : l));
        // HTML, not a scaled SVG: the labels keep the page's font size at any width (a phone's
        // too), and the name moves above its bar when the row is narrow.
        return (
          <figure class="ws-numbers" key={key} data-experiment={key}>
            <figcaption>
              {latest.label} <span class="ws-muted">({rows.length} machine{rows.length === 1 ? '' : 's'}, {latest.unit})</span>
            </figcaption>
            <div class="ws-chart" role="img" aria-label={`${latest.label}: ${rows.map((r) => `${r.name} ${r.value} ${r.unit}`).join(', ')}`}>
              {rows.map((r, i) => (
                <div class="ws-chart-row" key={r.name + i}>
                  <span class="ws-chart-name" title={r.name}>
                    {r.name}
                  </span>
                  <span class="ws-chart-track">
                    <span class="ws-chart-fill" style={{ width: `${(Math.abs(r.value) / max) * 100}%` }} />
                  </span>
                  <span class="ws-chart-value">
                    {r.value.toLocaleString()} {r.unit}
                  </span>
                </div>
              ))}
            </div>
          </figure>
        );
      })}
    </>
  );
}
