// How the local runner knocks on a sandbox's port and makes the GET of an http readiness
// probe: real sockets on loopback. The probe rules themselves are the engine's.
import { request } from 'node:http';
import { connect } from 'node:net';
import type { ProbeContext } from '../engine/probes.ts';

/** Loopback addresses tried in order: a sandbox may listen on IPv4, IPv6 or both. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'] as const;

const ATTEMPT_TIMEOUT_MS = 2000;

/** One TCP connection attempt; true if something accepted it. */
export function tryConnect(host: string, port: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('connect');
      if (ok) {
        // Close politely (FIN, then read what comes): a reset can crash a sandbox that does not expect it.
        socket.on('error', () => {});
        socket.resume();
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      } else socket.destroy();
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), ATTEMPT_TIMEOUT_MS);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** One GET attempt; the status, or null if nothing answered. */
export function tryHttp(host: string, port: number, path: string, signal?: AbortSignal): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', agent: false, timeout: ATTEMPT_TIMEOUT_MS, signal, headers: { 'user-agent': 'hotpot-runner-probe' } });
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
      res.destroy();
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(null));
    req.end();
  });
}

/** The runner's side of a probe: loopback hosts, real connections. */
export const localProbes: Pick<ProbeContext, 'hosts' | 'connect' | 'get'> = { hosts: LOOPBACK_HOSTS, connect: tryConnect, get: tryHttp };
