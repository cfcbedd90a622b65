// Settings of the chat server. Both instances run this same code; the manifest gives each
// its own INSTANCE name and PORT, and both the same broker (REDIS_URL).

export const INSTANCE = process.env.INSTANCE ?? 'a';
export const PORT = Number(process.env.PORT ?? 8001);
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// How often the server pings every chat connection. A peer that has not answered one ping
// by the time of the next is dropped. A second here so you can watch it happen; 20–30 s in
// production, below the idle timeout of every proxy between you and the browser.
export const HEARTBEAT_INTERVAL_MS = 1000;

// The largest WebSocket message the server accepts, in bytes. ws's default is 100 MiB:
// one client could make every instance buffer that much.
export const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

// The longest chat message, in characters.
export const MAX_TEXT_LENGTH = 500;

// How often the monitoring feed pushes a sample to the charts.
export const MONITOR_INTERVAL_MS = 500;
