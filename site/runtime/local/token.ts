// Whether a local runner served this page: it puts its token in a meta tag of every page.
// Kept apart from the adapter so the choice can be made without loading it.
import { TOKEN_META } from '../../../engine/contract.ts';

export function runnerToken(): string | null {
  return document.querySelector<HTMLMetaElement>(`meta[name="${TOKEN_META}"]`)?.content || null;
}
