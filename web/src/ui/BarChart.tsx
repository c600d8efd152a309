// A bar chart on uPlot (categories along x), with the same figures in a table beside it for
// screen readers and keyboard users.

import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

interface Props {
  title: string;
  labels: string[];
  values: number[];
  unit: string;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function BarChart({ title, labels, values, unit }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = useRef('');

  const [lib, setLib] = useState<typeof uPlot | null>(null);
  useEffect(() => {
    let live = true;
    import('uplot').then((m) => live && setLib(() => m.default));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    const el = box.current;
    if (!el || !lib) return;
    const xs = labels.map((_, i) => i);
    const data: uPlot.AlignedData = [xs, values];
    const key = labels.join('\u0000');
    if (plot.current && shape.current === key) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    shape.current = key;
    const fg = cssVar('--fg-muted', '#666');
    const grid = cssVar('--border', '#ddd');
    const accent = cssVar('--accent', '#2f6fde');
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: 220,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, labels.length - 0.5)] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        {
          stroke: fg, grid: { show: false }, ticks: { stroke: grid },
          splits: () => xs,
          values: (_u, splits) => splits.map((i) => labels[i] ?? ''),
        },
        {
          stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid },
          incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6],
          values: (_u, splits) => splits.map((v) => String(Math.round(v))),
        },
      ],
      series: [
        {},
        {
          label: unit, stroke: accent, fill: accent, width: 0,
          paths: lib.paths.bars!({ size: [0.6, 64] }),
          points: { show: false },
        },
      ],
    };
    plot.current = new lib(opts, data, el);
  }, [lib, labels.join('\u0000'), values.join(',')]);

  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: 220 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} class="plot" aria-hidden="true" />
      {labels.length === 0 && <p class="empty">No data yet.</p>}
      <table class="figures">
        <caption class="sr-only">{title}</caption>
        <tbody>
          {labels.map((l, i) => (
            <tr key={l}><th scope="row">{l}</th><td>{`${values[i]} ${values[i] === 1 ? unit.replace(/s$/, '') : unit}`}</td></tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
