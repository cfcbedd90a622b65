// The attendee's bar, loaded only for a reader who has joined a workshop: every other reader
// of a lesson downloads and runs none of its code, schemas or styles.
import { useEffect, useState } from 'preact/hooks';
import type { ComponentProps, FunctionComponent } from 'preact';
import type AttendeeBar from './AttendeeBar.tsx';
import { membership } from './client.ts';

type Props = ComponentProps<typeof AttendeeBar>;

export default function AttendeeBarLoader(props: Props) {
  const [Bar, setBar] = useState<FunctionComponent<Props> | null>(null);
  useEffect(() => {
    if (membership.get()) void import('./AttendeeBar.tsx').then((m) => setBar(() => m.default));
  }, []);
  return Bar ? <Bar {...props} /> : null;
}
