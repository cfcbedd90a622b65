// The attendee's bar, loaded only for a reader who has joined a workshop: every other reader
// of a lesson downloads and runs none of its code, schemas or styles.
import { useEffect, useState } from 'preact/hooks';
import type { ComponentProps, FunctionComponent } from 'preact';
import type AttendeeBar from './AttendeeBar.tsx';
import { membership } from './client.ts';
// The bar's styles as a URL, not an import: an imported stylesheet would be linked, render-
// blocking, into every lesson page's head for the few readers in a workshop.
import styles from './workshop.css?url';

type Props = ComponentProps<typeof AttendeeBar>;

export default function AttendeeBarLoader(props: Props) {
  const [Bar, setBar] = useState<FunctionComponent<Props> | null>(null);
  useEffect(() => {
    if (membership.get()) void Promise.all([import('./AttendeeBar.tsx'), stylesheet(styles)]).then(([m]) => setBar(() => m.default));
  }, []);
  return Bar ? <Bar {...props} /> : null;
}

/** Links a stylesheet once; settles when it has loaded or failed (the bar then shows unstyled). */
function stylesheet(href: string): Promise<void> {
  const present = [...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')].some((l) => l.getAttribute('href') === href);
  if (present) return Promise.resolve();
  return new Promise((resolve) => {
    const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href });
    link.addEventListener('load', () => resolve(), { once: true });
    link.addEventListener('error', () => resolve(), { once: true });
    document.head.append(link);
  });
}
