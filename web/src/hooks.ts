// Small hooks shared by the screens: re-render when an observable changes (at most once a
// frame, however many messages arrived), a ticking clock.

import { useEffect, useState } from 'preact/hooks';

interface Observable {
  subscribe(fn: () => void): () => void;
}

/** Re-renders the component when `source` reports a change, batched to one render a frame. */
export function useObserve(source: Observable): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    let pending = 0;
    const off = source.subscribe(() => {
      if (pending) return;
      pending = requestAnimationFrame(() => {
        pending = 0;
        setTick((t) => t + 1);
      });
    });
    return () => {
      off();
      if (pending) cancelAnimationFrame(pending);
    };
  }, [source]);
}

/** The time now, refreshed every `ms` while `active`. */
export function useNow(active: boolean, ms = 250): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return now;
}
