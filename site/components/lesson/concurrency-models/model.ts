// The lesson page's two diagrams, as data: which of five simultaneous sleep(5) requests runs
// when under each server model, and what one wake-up costs with threads, select/poll and
// epoll/kqueue. Pure functions, so the diagrams and their tests agree.

export interface ServerModel {
  id: string;
  name: string;
  /** How many of the requests can wait at the same time. */
  capacity: number;
  /** What the reader runs to see it. */
  command: string;
  note: string;
}

export const SERVERS: ServerModel[] = [
  { id: 'nothreading', name: 'runserver --nothreading', capacity: 1, command: 'python manage.py runserver --nothreading', note: 'One thread: each request waits for the one before it. "start" and "end" alternate in the terminal.' },
  { id: 'runserver', name: 'runserver', capacity: Infinity, command: 'python manage.py runserver', note: 'A new thread for every request (socketserver.ThreadingMixIn): five "start" lines, then five "end" lines five seconds later.' },
  { id: 'gunicorn-sync', name: 'gunicorn, 2 sync workers', capacity: 2, command: 'gunicorn mysite.wsgi -w 2', note: 'Two processes, one request each: two at a time, the rest queue in the listen backlog.' },
  { id: 'gunicorn-gthread', name: 'gunicorn, 1 worker × 4 threads', capacity: 4, command: 'gunicorn mysite.wsgi -w 1 --threads 4', note: 'Four threads in one process: four at once, the fifth waits for a free thread.' },
  { id: 'asgi-await', name: 'uvicorn, async view, await asyncio.sleep', capacity: Infinity, command: 'uvicorn mysite.asgi:application', note: 'One event loop; every await gives it back, so all five wait together on one thread.' },
  { id: 'asgi-blocking', name: 'uvicorn, async view, time.sleep', capacity: 1, command: 'uvicorn mysite.asgi:application', note: 'The same loop, held by a blocking call inside an async view: worse than runserver, one at a time.' },
  { id: 'node-blocking', name: 'Node, a blocking wait', capacity: 1, command: 'node main.ts (the sandbox as it starts)', note: 'One thread for everything, held for five seconds by each request in turn.' },
  { id: 'node-await', name: 'Node, await setTimeout', capacity: Infinity, command: 'node main.ts (after step 1)', note: 'The timer is registered and the loop moves on: five waits at once, about five seconds in all.' },
];

export interface Bar {
  i: number;
  /** Seconds after the five were sent. */
  start: number;
  end: number;
}

/** Five requests sent at 0 to a server that can run `capacity` at once, each taking `seconds`. */
export function schedule(capacity: number, count = 5, seconds = 5): Bar[] {
  return Array.from({ length: count }, (_, i) => {
    const wave = capacity === Infinity ? 0 : Math.floor(i / Math.max(1, capacity));
    return { i: i + 1, start: wave * seconds, end: (wave + 1) * seconds };
  });
}

export type Mechanism = 'threads' | 'select' | 'epoll';

export const MECHANISMS: Record<Mechanism, { name: string; story: string }> = {
  threads: {
    name: 'A thread per connection',
    story: 'Each connection has a thread blocked in recv() on its own socket. The kernel wakes exactly the threads whose sockets got data; the others sleep, each holding its stack.',
  },
  select: {
    name: 'select / poll',
    story: 'One thread hands the kernel the whole list of sockets on every call. The kernel checks each one, returns, and the program walks the whole list again to find the ready ones. select also stops at 1,024 descriptors (FD_SETSIZE).',
  },
  epoll: {
    name: 'epoll / kqueue',
    story: 'One thread registers each socket once (epoll_ctl, kevent). The kernel keeps a ready list as data arrives, and epoll_wait returns just those: the cost of a wake-up follows the ready sockets, not the open ones.',
  },
};

/** What one wake-up costs with `open` connections of which `ready` have data. */
export function wakeUpCost(mechanism: Mechanism, open: number, ready: number) {
  const r = Math.min(ready, open);
  if (mechanism === 'threads') return { threads: open, checked: r, returned: r, stackMB: open * 8 };
  if (mechanism === 'select') return { threads: 1, checked: open, returned: r, stackMB: 8 };
  return { threads: 1, checked: r, returned: r, stackMB: 8 };
}
