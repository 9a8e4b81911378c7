// Small inline charts of the Activity page: bars of calls per time bucket (errors in red on top
// of them). Plain SVG, sized by the viewBox (the page's CSP allows no inline styles).

/** Calls per bucket, oldest first, as bars; `label` says what a screen reader hears instead. */
export function Bars({ buckets, label, className = 'bars' }: { buckets: { calls: number; errors?: number }[]; label: string; className?: string }) {
  const top = Math.max(1, ...buckets.map((b) => b.calls));
  const H = 40;
  const W = 10;
  return (
    <svg className={className} viewBox={`0 0 ${buckets.length * W} ${H}`} preserveAspectRatio="none" role="img" aria-label={label}>
      {buckets.map((b, i) => {
        const h = b.calls ? Math.max(2, (b.calls / top) * H) : 0;
        const e = b.errors ? Math.max(2, (b.errors / top) * H) : 0;
        return (
          <g key={i}>
            <rect className="bar-base" x={i * W + 1} y={H - 1} width={W - 2} height={1} />
            {h > 0 && <rect className="bar-calls" x={i * W + 1} y={H - h} width={W - 2} height={h} />}
            {e > 0 && <rect className="bar-errors" x={i * W + 1} y={H - e} width={W - 2} height={e} />}
          </g>
        );
      })}
    </svg>
  );
}
