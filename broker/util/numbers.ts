// Number parsing and formatting exactly as Redis 7 (util.c) does it.
//
// Redis parses integers with the strict string2ll, doubles with strtod plus a
// few checks, and INCRBYFLOAT works in x87 80-bit long double and prints with
// "%.17Lf". JavaScript has only doubles, so long doubles are emulated exactly
// with BigInt (64-bit mantissa, round half to even), and printf-style
// formatting is done on the exact binary value, never on a shortest repr.

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** string2ll: strict base-10 int64 (no '+', no leading zeros, no spaces). */
export function string2ll(s: string): bigint | null {
  const n = s.length;
  if (n === 0 || n >= 21) return null;
  if (n === 1 && s === '0') return 0n;
  let i = 0;
  if (s.charCodeAt(0) === 45 /* - */) {
    i++;
    if (i === n) return null;
  }
  const c0 = s.charCodeAt(i);
  if (c0 < 49 || c0 > 57) return null;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  // Fast path: fits a double exactly.
  if (n - i <= 15) {
    const v = Number(s);
    return BigInt(v);
  }
  const v = BigInt(s);
  if (v > LLONG_MAX || v < LLONG_MIN) return null;
  return v;
}

/** Like string2ll but returns a JS number (exact up to 2^53; larger magnitudes approximate). */
export function parseLL(s: string): number | null {
  const n = s.length;
  if (n > 0 && n <= 15) {
    // Fast path for the common small case.
    const c0 = s.charCodeAt(0);
    if (c0 >= 49 && c0 <= 57) {
      let v = c0 - 48;
      let ok = true;
      for (let j = 1; j < n; j++) {
        const c = s.charCodeAt(j);
        if (c < 48 || c > 57) {
          ok = false;
          break;
        }
        v = v * 10 + (c - 48);
      }
      if (ok) return v;
    }
  }
  const b = string2ll(s);
  return b === null ? null : Number(b);
}

export function isInt64(v: bigint): boolean {
  return v <= LLONG_MAX && v >= LLONG_MIN;
}

const FLOAT_RE = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan(?:\([0-9A-Za-z_]*\))?)$/i;
const HEXFLOAT_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;

/**
 * strtod over the whole string, with Redis's checks (getDoubleFromObject):
 * empty, leading space, trailing garbage, overflow to +-HUGE_VAL, underflow
 * to zero and NaN are all rejected.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5000) return null;
  let v: number;
  if (FLOAT_RE.test(s)) {
    const lower = s.toLowerCase();
    if (lower.includes('nan')) return null;
    if (lower.includes('inf')) {
      v = lower.startsWith('-') ? -Infinity : Infinity;
      return v;
    }
    v = Number(s.startsWith('+') ? s.slice(1) : s);
    if (!Number.isFinite(v)) return null; // overflow (ERANGE, HUGE_VAL)
    if (v === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ''))) return null; // underflow to 0
    return v;
  }
  const h = HEXFLOAT_RE.exec(s);
  if (h && ((h[2] ?? '') !== '' || (h[3] ?? '') !== '')) {
    const intPart = h[2] ?? '';
    const frac = h[3] ?? '';
    const exp = h[4] ? parseInt(h[4], 10) : 0;
    const mant = BigInt('0x' + (intPart + frac || '0'));
    v = Number(mant) * Math.pow(2, exp - 4 * frac.length);
    if (h[1] === '-') v = -v;
    if (!Number.isFinite(v)) return null;
    if (v === 0 && mant !== 0n) return null;
    return v;
  }
  return null;
}

// ---------------------------------------------------------------------------
// Exact decimal formatting of binary floating point values.

/** Decompose a finite double into sign, integer mantissa and binary exponent: |x| = m * 2^e. */
function decompose(x: number): { neg: boolean; m: bigint; e: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const neg = hi >>> 31 === 1;
  const bexp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) {
    e = -1074;
  } else {
    m |= 1n << 52n;
    e = bexp - 1075;
  }
  return { neg, m, e };
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Round num/den to the nearest integer, ties to even. */
function roundDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r = num - q * den;
  const twice = r * 2n;
  if (twice > den || (twice === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Exact value m*2^e as a rational num/den. */
function rational(m: bigint, e: number): [bigint, bigint] {
  return e >= 0 ? [m << BigInt(e), 1n] : [m, 1n << BigInt(-e)];
}

/** printf("%.{prec}f") of m*2^e (non-negative), exact, ties to even. */
function fixedExact(m: bigint, e: number, prec: number): string {
  const [num, den] = rational(m, e);
  const n = roundDiv(num * pow10(prec), den);
  let s = n.toString();
  if (prec === 0) return s;
  if (s.length <= prec) s = '0'.repeat(prec - s.length + 1) + s;
  return s.slice(0, s.length - prec) + '.' + s.slice(s.length - prec);
}

/** printf("%.{prec}g") of m*2^e (positive), exact. */
function gExact(m: bigint, e: number, approx: number, prec: number): string {
  const [num, den] = rational(m, e);
  let E = Math.floor(Math.log10(approx));
  // Find E with 10^E <= v < 10^(E+1) exactly.
  for (;;) {
    const lowOk = E >= 0 ? num >= pow10(E) * den : num * pow10(-E) >= den;
    if (!lowOk) {
      E--;
      continue;
    }
    const highOk = E + 1 >= 0 ? num < pow10(E + 1) * den : num * pow10(-(E + 1)) < den;
    if (!highOk) {
      E++;
      continue;
    }
    break;
  }
  const shift = prec - 1 - E;
  let digits = shift >= 0 ? roundDiv(num * pow10(shift), den) : roundDiv(num, den * pow10(-shift));
  if (digits >= pow10(prec)) {
    E++;
    digits = digits / 10n; // exact: rounding produced 10^prec
  }
  let ds = digits.toString();
  if (E < -4 || E >= prec) {
    ds = ds.replace(/0+$/, '');
    const mant = ds.length > 1 ? ds[0] + '.' + ds.slice(1) : ds;
    const ae = Math.abs(E);
    return mant + 'e' + (E < 0 ? '-' : '+') + (ae < 10 ? '0' : '') + ae;
  }
  // Fixed notation with prec-1-E decimals, trailing zeros removed.
  const decimals = prec - 1 - E;
  let s: string;
  if (decimals <= 0) {
    s = ds + '0'.repeat(-decimals);
  } else {
    if (ds.length <= decimals) ds = '0'.repeat(decimals - ds.length + 1) + ds;
    s = ds.slice(0, ds.length - decimals) + '.' + ds.slice(ds.length - decimals);
    s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return s;
}

/** C printf("%.{prec}g", x) with glibc's spelling of specials (inf, -inf, nan, -0). */
export function formatG(x: number, prec = 17): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (Number.isInteger(x) && Math.abs(x) <= 9007199254740992 && Math.abs(x) < 10 ** prec) return String(x);
  const { neg, m, e } = decompose(x);
  return (neg ? '-' : '') + gExact(m, e, Math.abs(x), prec);
}

/** Redis's addReplyDouble / d2string for RESP2: "%.17g", "inf", "-inf". */
export function formatDouble(x: number): string {
  return formatG(x, 17);
}

// ---------------------------------------------------------------------------
// x87 long double emulation for INCRBYFLOAT / HINCRBYFLOAT.

const LD_MANT = 64;

export interface LongDouble {
  neg: boolean;
  m: bigint; // 0 or with bit 63 set (normalised)
  e: number; // value = m * 2^e
  inf?: boolean;
  nan?: boolean;
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** Normalise an exact rational num/den (positive) to a 64-bit mantissa, ties to even. */
function ldFromRational(neg: boolean, num: bigint, den: bigint): LongDouble {
  if (num === 0n) return { neg, m: 0n, e: 0 };
  // Choose e so that num/den / 2^e is in [2^63, 2^64).
  let e = bitLength(num) - bitLength(den) - LD_MANT;
  let m: bigint;
  for (;;) {
    m = e >= 0 ? roundDiv(num, den << BigInt(e)) : roundDiv(num << BigInt(-e), den);
    if (m >= 1n << 64n) {
      e++;
      continue;
    }
    if (m < 1n << 63n) {
      e--;
      continue;
    }
    break;
  }
  if (e + 63 > 16383) return { neg, m: 0n, e: 0, inf: true };
  if (e + 63 < -16445) return { neg, m: 0n, e: 0 }; // underflow to zero
  return { neg, m, e };
}

/** strtold + Redis's string2ld checks. */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= 5 * 1024) return null;
  const dm = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (dm && ((dm[2] ?? '') !== '' || (dm[3] ?? '') !== '')) {
    const neg = dm[1] === '-';
    const intPart = dm[2] ?? '';
    const frac = dm[3] ?? '';
    const exp = (dm[4] ? parseInt(dm[4], 10) : 0) - frac.length;
    const digits = BigInt((intPart + frac).replace(/^0+(?=\d)/, '') || '0');
    if (digits === 0n) return { neg, m: 0n, e: 0 };
    if (exp > 5000) return null; // overflow -> HUGE_VALL, rejected
    if (exp < -6000) return null; // underflow to zero, rejected
    const r = exp >= 0 ? ldFromRational(neg, digits * pow10(exp), 1n) : ldFromRational(neg, digits, pow10(-exp));
    if (r.inf) return null;
    if (r.m === 0n) return null;
    return r;
  }
  const lower = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return { neg: lower.startsWith('-'), m: 0n, e: 0, inf: true };
  const h = HEXFLOAT_RE.exec(s);
  if (h && ((h[2] ?? '') !== '' || (h[3] ?? '') !== '')) {
    const frac = h[3] ?? '';
    const exp = (h[4] ? parseInt(h[4], 10) : 0) - 4 * frac.length;
    const mant = BigInt('0x' + ((h[2] ?? '') + frac || '0'));
    if (mant === 0n) return { neg: h[1] === '-', m: 0n, e: 0 };
    const r = exp >= 0 ? ldFromRational(h[1] === '-', mant << BigInt(exp), 1n) : ldFromRational(h[1] === '-', mant, 1n << BigInt(-exp));
    if (r.inf || r.m === 0n) return null;
    return r;
  }
  return null;
}

export function ldAdd(a: LongDouble, b: LongDouble): LongDouble {
  if (a.nan || b.nan) return { neg: false, m: 0n, e: 0, nan: true };
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return { neg: false, m: 0n, e: 0, nan: true };
    return a.inf ? a : b;
  }
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const av = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const bv = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  const sum = av + bv;
  if (sum === 0n) return { neg: false, m: 0n, e: 0 };
  const neg = sum < 0n;
  const abs = neg ? -sum : sum;
  return e >= 0 ? ldFromRational(neg, abs << BigInt(e), 1n) : ldFromRational(neg, abs, 1n << BigInt(-e));
}

export function ldIsFinite(a: LongDouble): boolean {
  return !a.inf && !a.nan;
}

/** ld2string(LD_STR_HUMAN): "%.17Lf" with trailing zeros (and a bare '.') removed, "-0" -> "0". */
export function formatLongDoubleHuman(a: LongDouble): string {
  if (a.nan) return 'nan';
  if (a.inf) return a.neg ? '-inf' : 'inf';
  let s = fixedExact(a.m, a.e, 17);
  if (a.neg) s = '-' + s;
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (s === '-0') s = '0';
  return s;
}

export function ldFromNumber(x: number): LongDouble {
  if (Number.isNaN(x)) return { neg: false, m: 0n, e: 0, nan: true };
  if (!Number.isFinite(x)) return { neg: x < 0, m: 0n, e: 0, inf: true };
  if (x === 0) return { neg: false, m: 0n, e: 0 };
  const { neg, m, e } = decompose(x);
  const [num, den] = rational(m, e);
  return ldFromRational(neg, num, den);
}

export function ldToNumber(a: LongDouble): number {
  if (a.nan) return NaN;
  if (a.inf) return a.neg ? -Infinity : Infinity;
  const v = Number(a.m) * Math.pow(2, a.e);
  return a.neg ? -v : v;
}

/** Redis's "%.17g"-style formatting of a Lua number argument (script_lua.c). */
export function formatLuaNumberArg(x: number): string {
  return formatG(x, 17);
}
