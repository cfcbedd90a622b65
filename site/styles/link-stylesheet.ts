// A stylesheet linked when a part of the page that needs it first loads (the editor, the
// workshop bar), not with the page, where it would block the first paint for every reader.

/** Links `href` once; settles when it has loaded or failed (what it styles then shows unstyled). */
export function linkStylesheet(href: string): Promise<void> {
  const present = [...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')].some((l) => l.getAttribute('href') === href);
  if (present) return Promise.resolve();
  return new Promise((resolve) => {
    const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href });
    link.addEventListener('load', () => resolve(), { once: true });
    link.addEventListener('error', () => resolve(), { once: true });
    document.head.append(link);
  });
}
