// On a lesson page, for an attendee of a workshop: reports what the workbench does to the hub,
// follows the instructor when they lead, shows the exercise's countdown, and lets the attendee
// put up a green "done" or a red "help" note. Renders nothing for a reader not in a workshop.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import { currentWorkbench, type WorkbenchEvent, type WorkbenchModel } from '../../workbench/model.ts';
import { storage } from '../../workbench/storage.ts';
import { SandboxResult, type AttendeeView, type ClassMessage, type HubMessage, type Workshop } from '../../../workshop/schema.ts';
import { HubSocket, membership, type Membership } from './client.ts';

interface Props {
  lesson: string;
  steps: { id: string; title: string }[];
  lessonTitles: Record<string, string>;
}

/** Edits are reported at most this often: the grid needs "editing", not every keystroke. */
const EDIT_EVERY_MS = 5000;
const FOLLOWED = 'hotpot:workshop:followed';

export default function AttendeeBar(props: Props) {
  const [member, setMember] = useState<Membership | null>(null);
  useEffect(() => setMember(membership.get()), []);
  if (!member) return null;
  return <Bar {...props} member={member} leave={() => (membership.set(null), setMember(null))} />;
}

function Bar({ lesson, steps, lessonTitles, member, leave }: Props & { member: Membership; leave: () => void }) {
  const state = useMemo(() => ({ workshop: signal<Workshop | null>(null), me: signal<AttendeeView | null>(null), now: signal(Date.now()), looked: signal(false) }), []);
  const [noteText, setNoteText] = useState('');
  const [socket, setSocket] = useState<HubSocket | null>(null);

  useEffect(() => {
    let model: WorkbenchModel | null = null;
    const where = () => (model ? { lesson: model.data.lesson, step: model.step.value.id } : null);
    const report = () => {
      const w = where();
      if (w) s.send({ type: 'step', ...w, runtime: model!.runtimeKind.value });
    };
    // While the instructor looks: this sandbox's files, shortly after each change.
    let filesTimer: ReturnType<typeof setTimeout> | undefined;
    const sendFiles = () => {
      clearTimeout(filesTimer);
      filesTimer = setTimeout(() => {
        const w = where();
        if (!w || !state.looked.value) return;
        // While the step's files are on their way there are none to show: ask again shortly.
        if (model!.ready) s.send({ type: 'files', ...w, files: model!.files.value });
        else sendFiles();
      }, 800);
    };
    const follow = (w: Workshop) => {
      const f = w.follow;
      if (!f || !model) return;
      // Each lead moves the attendee once; after that they may step away and come back.
      let applied = 0;
      try {
        applied = Number(sessionStorage.getItem(FOLLOWED) ?? 0);
        sessionStorage.setItem(FOLLOWED, String(f.at));
      } catch {
        /* no session storage: follow every time */
      }
      if (applied >= f.at) return;
      goTo(model, f.lesson, f.step);
    };
    const s = new HubSocket(
      member.hub,
      () => ({ type: 'hello', role: 'attendee', workshop: member.workshop, attendee: member.attendee, secret: member.secret }),
      (m: HubMessage) => {
        if (m.type === 'welcome') {
          state.workshop.value = m.workshop;
          state.me.value = m.me;
          report(); // after a reconnect: the hub hears where we are now
          follow(m.workshop);
        } else if (m.type === 'workshop') {
          state.workshop.value = m.workshop;
          follow(m.workshop);
        } else if (m.type === 'attendee') state.me.value = m.attendee;
        else if (m.type === 'look') {
          state.looked.value = m.on;
          if (m.on) sendFiles();
        }
      },
    );
    s.keepAlive();
    setSocket(s);

    let lastEdit = 0;
    let offEvents = () => {};
    const attach = (wb: WorkbenchModel | null) => {
      if (!wb || wb === model) return;
      offEvents();
      model = wb;
      offEvents = wb.onEvent((e: WorkbenchEvent) => {
        if (e.type === 'edit') {
          sendFiles();
          if (Date.now() - lastEdit < EDIT_EVERY_MS) return;
          lastEdit = Date.now();
          s.send({ type: 'edit', lesson: e.lesson, step: e.step });
        } else if (e.type === 'step') {
          sendFiles();
          lastEdit = 0;
          s.send({ type: 'step', lesson: e.lesson, step: e.step, runtime: wb.runtimeKind.value });
        } else if (e.type === 'run') {
          if (e.state !== 'stopping') s.send({ type: 'run', lesson: e.lesson, step: e.step, state: e.state });
        } else s.send({ type: 'check', lesson: e.lesson, step: e.step, ok: e.ok, reason: e.reason.slice(0, 1600) });
      });
      report();
      if (state.workshop.value) follow(state.workshop.value);
    };
    const offWorkbench = currentWorkbench.subscribe(attach);
    // A lesson's experiment, running in the sandbox's page (the preview), reports a number.
    const onResult = (e: MessageEvent) => {
      const fromPreview = [...document.querySelectorAll('iframe')].some((f) => f.contentWindow === e.source);
      const r = fromPreview && model ? SandboxResult.safeParse(e.data) : null;
      if (!r?.success) return;
      const { hotpot: _h, ...result } = r.data;
      s.send({ type: 'result', lesson: model!.data.lesson, ...result });
    };
    addEventListener('message', onResult);
    const tick = setInterval(() => (state.now.value = Date.now()), 1000);
    return () => (offWorkbench(), offEvents(), removeEventListener('message', onResult), clearInterval(tick), clearTimeout(filesTimer), s.close());
  }, [member]);

  const w = state.workshop.value;
  const me = state.me.value;
  const now = state.now.value;
  const status = socket?.status.value ?? 'connecting';
  const model = currentWorkbench.value;
  const here = model ? model.step.value.id : undefined;
  const f = w?.follow;
  const away = f && (f.lesson !== lesson || f.step !== here);
  const followTitle = f ? (f.lesson === lesson ? steps.find((s) => s.id === f.step)?.title : undefined) ?? `${lessonTitles[f.lesson] ?? f.lesson}, ${f.step}` : '';
  const left = w?.pace ? Math.max(0, Math.ceil((w.pace.endsAt - now) / 1000)) : 0;

  if (status === 'refused')
    return (
      <div class="ws-bar ws-bar-problem" role="status">
        <span>Workshop: {socket?.error.value}</span>
        <a href={`/join/?code=${encodeURIComponent(member.code)}${member.hub !== location.origin ? `&hub=${encodeURIComponent(member.hub)}` : ''}`}>Join again</a>
        <button type="button" onClick={leave}>
          Leave
        </button>
      </div>
    );

  const note = (kind: 'done' | 'help' | null) => {
    socket?.send({ type: 'note', kind, text: kind ? noteText.trim() : undefined });
    if (!kind) setNoteText('');
  };

  return (
    <div class="ws-bar" role="region" aria-label="Workshop" data-connection={status}>
      <span class="ws-who">
        <strong>{w?.title ?? 'Workshop'}</strong> · {member.name}
        <span class={`ws-dot ws-dot-${status}`} title={status === 'open' ? 'connected to the hub' : 'reconnecting to the hub…'} aria-label={status === 'open' ? 'connected' : 'reconnecting'} />
        {status !== 'open' && <span class="ws-muted">reconnecting…</span>}
      </span>
      {w?.ended ? (
        <span class="ws-muted">This workshop has ended; your work stays in this browser.</span>
      ) : (
        <>
          {away && (
            <span class="ws-follow">
              The instructor is on <em>{followTitle}</em>{' '}
              <button type="button" onClick={() => model && goTo(model, f.lesson, f.step)}>
                Go there
              </button>
            </span>
          )}
          {w?.pace && (
            <span class="ws-pace" aria-live="off">
              {w.pace.label}: {left > 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left` : 'time is up'}
            </span>
          )}
          <span class="ws-note">
            {me?.note ? (
              <>
                <span class={`ws-sticky ws-sticky-${me.note.kind}`}>{me.note.kind === 'help' ? 'Help requested' : 'Done'}</span>
                {me.note.text && <span class="ws-muted ws-note-text">“{me.note.text}”</span>}
                <button type="button" onClick={() => note(null)}>
                  Take down
                </button>
              </>
            ) : (
              <>
                <input type="text" maxLength={280} placeholder="Note (optional)" aria-label="Note for the instructor" value={noteText} onInput={(e) => setNoteText((e.target as HTMLInputElement).value)} />
                <button type="button" class="ws-done" onClick={() => note('done')}>
                  Done
                </button>
                <button type="button" class="ws-help" onClick={() => note('help')}>
                  Help
                </button>
              </>
            )}
          </span>
        </>
      )}
      {socket?.error.value && status === 'open' && <span class="ws-error">{socket.error.value}</span>}
      {state.looked.value && <span class="ws-muted">The instructor is looking at your files.</span>}
      {w?.broadcast && !w.ended && <Suggestion b={w.broadcast} model={model} />}
      {w?.shared && !w.ended && <Shared shared={w.shared} mine={w.shared.attendee === me?.id} />}
    </div>
  );
}

/** A file the instructor shows to the whole class: read-only, closable. */
function Shared({ shared, mine }: { shared: NonNullable<Workshop['shared']>; mine: boolean }) {
  const [open, setOpen] = useState(true);
  useEffect(() => setOpen(true), [shared.at]);
  return (
    <details class="ws-suggestion" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)} aria-label="A file shown to the class">
      <summary>{mine ? <strong>Your {shared.path} is being shown to the class.</strong> : <>Shown to the class: {shared.name}’s {shared.path}</>}</summary>
      <pre>{shared.contents}</pre>
    </details>
  );
}

const SEEN = 'hotpot:workshop:dismissed';

/** The instructor's message; its code can be applied to the named file (the whole file) or copied. */
function Suggestion({ b, model }: { b: ClassMessage; model: WorkbenchModel | null }) {
  const [gone, setGone] = useState(() => {
    try {
      return sessionStorage.getItem(SEEN) === b.id;
    } catch {
      return false;
    }
  });
  const [copied, setCopied] = useState(false);
  useEffect(() => setCopied(false), [b.id]);
  if (gone) return null;
  const dismiss = () => {
    try {
      sessionStorage.setItem(SEEN, b.id);
    } catch {
      /* dismissed for this page view only */
    }
    setGone(true);
  };
  const target = b.path && model && model.files.value[b.path] !== undefined ? b.path : null;
  const apply = () => {
    if (!model || !target || b.code === null) return;
    model.edit(target, b.code);
    model.activeFile.value = target;
    model.revision.value++; // the editor reloads files replaced from outside
    dismiss();
  };
  return (
    <div class="ws-suggestion" role="region" aria-label="Message from the instructor">
      <p>
        <strong>From the instructor:</strong> {b.text}
      </p>
      {b.code !== null && <pre>{b.code}</pre>}
      <p class="ws-suggestion-actions">
        {b.code !== null && target && (
          <button type="button" class="ws-primary" onClick={apply}>
            Apply to {target}
          </button>
        )}
        {b.code !== null && b.path && !target && <span class="ws-muted">(for {b.path}, which this step does not have)</span>}
        {b.code !== null && (
          <button type="button" onClick={() => void navigator.clipboard?.writeText(b.code!).then(() => setCopied(true), () => setCopied(false))}>
            {copied ? 'Copied' : 'Copy'}
          </button>
        )}
        <button type="button" onClick={dismiss}>
          Dismiss
        </button>
      </p>
    </div>
  );
}

/** Moves the workbench to a step of this lesson, or opens another lesson at that step. */
function goTo(model: WorkbenchModel, lesson: string, step: string): void {
  if (lesson === model.data.lesson) {
    const index = model.data.steps.findIndex((s) => s.id === step);
    if (index >= 0) model.selectStep(index);
    document.querySelector(`[data-step="${CSS.escape(step)}"]`)?.scrollIntoView({ block: 'start' });
    return;
  }
  storage.saveStep(lesson, step);
  location.assign(`/lessons/${lesson}/`);
}
