// The attendee's bar, loaded only for a reader who has joined a workshop: every other reader
// of a lesson downloads and runs none of its code, schemas or styles.
import { useEffect, useState } from 'preact/hooks';
import type { ComponentProps, FunctionComponent } from 'preact';
import type AttendeeBar from './AttendeeBar.tsx';
import { membership } from './client.ts';
import { linkStylesheet } from '../../styles/link-stylesheet.ts';
// The bar's styles as a URL, not an import: an imported stylesheet would be linked, render-
// blocking, into every lesson page's head for the few readers in a workshop.
import styles from './workshop.css?url';

type Props = ComponentProps<typeof AttendeeBar>;

export default function AttendeeBarLoader(props: Props) {
  const [Bar, setBar] = useState<FunctionComponent<Props> | null>(null);
  useEffect(() => {
    if (membership.get()) void Promise.all([import('./AttendeeBar.tsx'), linkStylesheet(styles)]).then(([m]) => setBar(() => m.default));
  }, []);
  return Bar ? <Bar {...props} /> : null;
}

