// Port of Redis's stringmatchlen (util.c): glob-style matching on byte strings
// used by KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET.

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function matchImpl(p: string, pi: number, s: string, si: number, nocase: boolean, skipLongerMatches: { v: boolean }, nesting: number): boolean {
  // Redis caps recursion to avoid stack overflows on pathological patterns.
  if (nesting > 1000) return false;
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si < slen) {
    const pc = p.charCodeAt(pi);
    switch (pc) {
      case 42: {
        // '*'
        while (pi + 1 < plen && p.charCodeAt(pi + 1) === 42) pi++;
        if (pi + 1 === plen) return true;
        while (si < slen) {
          if (matchImpl(p, pi + 1, s, si, nocase, skipLongerMatches, nesting + 1)) return true;
          if (skipLongerMatches.v) return false;
          si++;
        }
        skipLongerMatches.v = true;
        return false;
      }
      case 63: // '?'
        si++;
        break;
      case 91: {
        // '['
        pi++;
        const not = pi < plen && p.charCodeAt(pi) === 94; // '^'
        if (not) pi++;
        let match = false;
        const sc = s.charCodeAt(si);
        for (;;) {
          if (pi >= plen) {
            pi--;
            break;
          }
          const c = p.charCodeAt(pi);
          if (c === 92 /* \ */ && pi + 1 < plen) {
            pi++;
            if (p.charCodeAt(pi) === sc) match = true;
          } else if (c === 93 /* ] */) {
            break;
          } else if (pi + 2 < plen && p.charCodeAt(pi + 1) === 45 /* - */) {
            let start = p.charCodeAt(pi);
            let end = p.charCodeAt(pi + 2);
            let cc = sc;
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
              cc = lower(cc);
            }
            pi += 2;
            if (cc >= start && cc <= end) match = true;
          } else {
            if (nocase) {
              if (lower(c) === lower(sc)) match = true;
            } else if (c === sc) {
              match = true;
            }
          }
          pi++;
        }
        const m = not ? !match : match;
        if (!m) return false;
        si++;
        break;
      }
      case 92: // '\'
        if (pi + 1 < plen) pi++;
      // fall through
      default: {
        const a = p.charCodeAt(pi);
        const b = s.charCodeAt(si);
        if (nocase ? lower(a) !== lower(b) : a !== b) return false;
        si++;
        break;
      }
    }
    pi++;
    if (si === slen) {
      while (pi < plen && p.charCodeAt(pi) === 42) pi++;
      break;
    }
  }
  return pi === plen && si === slen;
}

export function globMatch(pattern: string, s: string, nocase = false): boolean {
  return matchImpl(pattern, 0, s, 0, nocase, { v: false }, 0);
}
