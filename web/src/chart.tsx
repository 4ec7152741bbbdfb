import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Daily active users as a line (uPlot: ~50 kB, canvas, no dependencies); the numbers are in the table below it. */
export function DailyChart({ days: kept }: { days: { day: string; activeUsers: number }[] }) {
  const box = useRef<HTMLDivElement>(null);
  // A young tenant has months of empty days before its first event: start there, showing at least 30 days.
  const first = kept.findIndex((d) => d.activeUsers > 0);
  const days = first < 0 ? kept.slice(-30) : kept.slice(Math.min(first, Math.max(0, kept.length - 30)));
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const xs = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
    const ys = days.map((d) => d.activeUsers);
    const plot = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height: 240,
        scales: { x: { time: true } },
        axes: [{ stroke: '#1f2933' }, { stroke: '#1f2933', label: 'users' }],
        series: [{ label: 'day' }, { label: 'active users', stroke: '#1d4ed8', width: 2, fill: 'rgba(29,78,216,0.12)' }],
        legend: { show: true },
      },
      [xs, ys],
      element,
    );
    return () => plot.destroy();
  }, [days]);
  const max = days.reduce((m, d) => Math.max(m, d.activeUsers), 0);
  return (
    <figure>
      <div ref={box} class="chart" role="img" aria-label={`Daily active users over ${days.length} days, at most ${max} a day`} />
      <figcaption class="muted">Distinct users with a successful authentication per UTC day.</figcaption>
    </figure>
  );
}
