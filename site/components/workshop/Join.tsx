// /join: an attendee types the workshop's short code (or arrives with it in the link) and a
// display name; the hub answers with their own secret, kept in this browser, and the first
// lesson opens. A page served by the attendee's own `npm start` joins the hub named in ?hub=.
import { useEffect, useState } from 'preact/hooks';
import type { HubMessage } from '../../../workshop/schema.ts';
import { HubSocket, membership, type Membership } from './client.ts';
import './workshop.css';

export default function Join() {
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [hub, setHub] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [current, setCurrent] = useState<Membership | null>(null);
  // Until hydration the form has no handlers: keep it disabled so nothing typed is lost.
  const [mounted, setMounted] = useState(false);

  useEffect(() => {
    const q = new URLSearchParams(location.search);
    setCode((q.get('code') ?? '').toUpperCase());
    let h = location.origin;
    const given = q.get('hub');
    if (given) {
      try {
        h = new URL(given).origin;
      } catch {
        setError(`The hub address ${given} is not a URL.`);
      }
    }
    setHub(h);
    setCurrent(membership.get());
    setMounted(true);
  }, []);

  const submit = (e: Event) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    let joined: Pick<Membership, 'workshop' | 'attendee' | 'secret'> | null = null;
    const socket = new HubSocket(
      hub,
      () => ({ type: 'hello', role: 'join', code: code.trim().toUpperCase(), name: name.trim() }),
      (m: HubMessage) => {
        if (m.type === 'error') {
          socket.close();
          setBusy(false);
          setError(m.message);
        } else if (m.type === 'joined') joined = m;
        else if (m.type === 'welcome' && joined) {
          socket.close();
          membership.set({ hub, ...joined, name: m.me.name, code: m.workshop.code });
          const lesson = m.workshop.follow?.lesson ?? m.workshop.lessons[0];
          location.assign(`/lessons/${lesson}/`);
        }
      },
    );
    // A hub that cannot be reached: say so instead of trying forever.
    setTimeout(() => {
      if (!joined && socket.status.value !== 'closed') {
        socket.close();
        setBusy(false);
        setError(`The workshop hub at ${hub} does not answer. Check the address with your instructor.`);
      }
    }, 10_000);
  };

  const sameWorkshop = current && (!code || current.code === code);
  return (
    <div class="ws-page">
      <h1>Join a workshop</h1>
      {hub && hub !== location.origin && (
        <p>
          Your sandboxes run on this computer; your progress goes to the workshop hub at <strong>{new URL(hub).host}</strong>.
        </p>
      )}
      {sameWorkshop && (
        <p>
          This browser is in workshop <strong>{current.code}</strong> as <strong>{current.name}</strong>.{' '}
          <a href="/">Continue</a> or join again below (as someone new).
        </p>
      )}
      <form class="ws-form" onSubmit={submit}>
        <label>
          Workshop code
          <input name="code" disabled={!mounted} required autoComplete="off" spellcheck={false} maxLength={6} pattern="[A-Za-z0-9]{6}" placeholder="K7M2QX" value={code} onInput={(e) => setCode((e.target as HTMLInputElement).value.toUpperCase())} />
        </label>
        <label>
          Your name, as the instructor will see it
          <input name="name" disabled={!mounted} required maxLength={40} autoComplete="nickname" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="ws-primary" disabled={busy || !hub || !mounted}>
          {busy ? 'Joining…' : 'Join'}
        </button>
        {error && (
          <p class="ws-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </div>
  );
}
