// Small helpers mirroring C formatting that Redis relies on.

/** sdscatrepr: quote a byte string the way MONITOR and redis-cli show it. */
export function repr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x5c:
        out += '\\\\';
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x07:
        out += '\\a';
        break;
      case 0x08:
        out += '\\b';
        break;
      default:
        if (c >= 0x20 && c <= 0x7e) out += s[i];
        else out += '\\x' + c.toString(16).padStart(2, '0');
    }
  }
  return out + '"';
}

/** printf("%.Ns", s): a C string stops at the first NUL byte; at most max bytes. */
export function cstr(s: string, max = Infinity): string {
  const z = s.indexOf('\0');
  if (z >= 0) s = s.slice(0, z);
  return s.length > max ? s.slice(0, max) : s;
}

/** Redis's sdsmapchars(s, "\r\n", "  "). */
export function noNewlines(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}

export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(2)}K`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(2)}M`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(2)}G`;
}

/** Parse a Redis memory value: "100", "1kb", "1k", "5mb", "2gb". Returns null if invalid. */
export function parseMemory(s: string): number | null {
  const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(s.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const u = (m[2] ?? 'b').toLowerCase();
  const mul: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1000 * 1000, mb: 1024 * 1024, g: 1000 * 1000 * 1000, gb: 1024 * 1024 * 1024 };
  return n * mul[u]!;
}
