// Which addresses a run's processes listen on (Linux: /proc/net/tcp{,6} and each process's
// open sockets). Sandbox servers are told to bind loopback (HOST); one that binds every
// interface can be reached by other computers, and the runner says so in its terminal.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface Listener {
  pid: number;
  address: string;
  port: number;
}

/** "0100007F:0BB8" (IPv4, little-endian words) or 32 hex digits (IPv6) → address text. */
function decodeAddress(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [3, 2, 1, 0].map((i) => word.slice(i * 2, i * 2 + 2));
    words.push(bytes[0]! + bytes[1]!, bytes[2]! + bytes[3]!);
  }
  const full = words.map((g) => g.replace(/^0+(?=.)/, '').toLowerCase());
  const text = full.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(text);
  if (mapped) {
    const n = (parseInt(mapped[1]!, 16) << 16) | parseInt(mapped[2]!, 16);
    return `::ffff:${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}`;
  }
  return text;
}

export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./.test(address);
}

/** Listening TCP sockets by inode. */
function listeningSockets(): Map<string, { address: string; port: number }> {
  const out = new Map<string, { address: string; port: number }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A: LISTEN
      const [addr, port] = f[1]!.split(':');
      out.set(f[9]!, { address: decodeAddress(addr!), port: parseInt(port!, 16) });
    }
  }
  return out;
}

/** Sockets these processes listen on. */
export function listenersOf(pids: number[]): Listener[] {
  const sockets = listeningSockets();
  if (!sockets.size) return [];
  const out: Listener[] = [];
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const s = inode ? sockets.get(inode) : undefined;
      if (s) out.push({ pid, ...s });
    }
  }
  return out;
}
