// A QR code of the join link, drawn as SVG from qrcode-generator's matrix (no HTML strings).
import qrcode from 'qrcode-generator';
import { useMemo, useState } from 'preact/hooks';

export function Qr({ text, label }: { text: string; label: string }) {
  const [big, setBig] = useState(false);
  const { n, d } = useMemo(() => {
    const qr = qrcode(0, 'M');
    qr.addData(text);
    qr.make();
    const n = qr.getModuleCount();
    let d = '';
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) if (qr.isDark(y, x)) d += `M${x} ${y}h1v1h-1z`;
    return { n, d };
  }, [text]);
  const svg = (
    <svg viewBox={`-2 -2 ${n + 4} ${n + 4}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect x="-2" y="-2" width={n + 4} height={n + 4} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
  return (
    <>
      <button type="button" class="ws-qr" onClick={() => setBig(true)} title="Show it full screen, to project">
        {svg}
      </button>
      {big && (
        <div class="ws-qr-big" onClick={() => setBig(false)} role="dialog" aria-label="QR code, full screen (click to close)">
          {svg}
        </div>
      )}
    </>
  );
}
