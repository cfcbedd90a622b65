// Frames many clients' queues share (published messages, MONITOR lines), copied into slabs
// that are mapped and unmapped whole.
//
// Buffer.from(string) takes small Buffers from Node's 8 KiB pool, whose slabs glibc's malloc
// carves out of its main heap. A stalled subscriber holds 32 MB of them; once it is dropped
// they are freed, but glibc only gives heap memory back from the top of the heap, and any
// small allocation made meanwhile (a reply, a connection) pins the top: the broker kept
// about 50 MB it no longer used. An ArrayBuffer made resizable (maxByteLength) is not
// malloc'd: V8 maps it with its page allocator and unmaps it when the ArrayBuffer is
// collected, so these slabs go back to the system whatever else the heap holds.

/** Bytes per shared slab: a frame keeps its whole slab alive, so slabs stay small. */
const SLAB_BYTES = 256 * 1024;
/** Frames bigger than this get an ArrayBuffer of their own. */
const OWN_ABOVE = SLAB_BYTES / 4;

type ResizableCtor = new (n: number, opts: { maxByteLength: number }) => ArrayBuffer;
/** Resizable ArrayBuffers are page-mapped by V8 (ES2024); without them, plain ones (malloc'd). */
const pageMapped = typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === 'function';

function arrayBuffer(n: number): ArrayBuffer {
  return pageMapped ? new (ArrayBuffer as unknown as ResizableCtor)(n, { maxByteLength: n }) : new ArrayBuffer(n);
}

let slab: Buffer | null = null;
let used = 0;

/** A Buffer holding the byte string `s` (one byte per char code), outside malloc's heap. */
export function sharedFrame(s: string): Buffer {
  const n = s.length;
  if (n > OWN_ABOVE) {
    const own = Buffer.from(arrayBuffer(n));
    own.write(s, 0, n, 'latin1');
    return own;
  }
  if (slab === null || used + n > SLAB_BYTES) {
    slab = Buffer.from(arrayBuffer(SLAB_BYTES));
    used = 0;
  }
  slab.write(s, used, n, 'latin1');
  const frame = slab.subarray(used, used + n);
  // 8-byte aligned, as Node's own pool keeps its slices.
  used += (n + 7) & ~7;
  return frame;
}

