// Keyboard use of a role="tablist" (WAI-ARIA tabs pattern): arrow keys, Home and End move to
// a tab and select it. Tabs carry tabIndex 0 when selected and -1 otherwise (roving focus).
export function onTabListKey(e: KeyboardEvent): void {
  const list = e.currentTarget as HTMLElement;
  const tabs = [...list.querySelectorAll<HTMLElement>('[role="tab"]')];
  const at = tabs.indexOf(document.activeElement as HTMLElement);
  if (at < 0) return;
  const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[e.key];
  if (next === undefined) return;
  e.preventDefault();
  const tab = tabs[(next + tabs.length) % tabs.length]!;
  tab.focus();
  tab.click();
}

export const rovingTabIndex = (selected: boolean) => (selected ? 0 : -1);
