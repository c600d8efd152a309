// Small hooks shared by the screens: re-render when an observable changes, a ticking clock.

import { useEffect, useState } from 'preact/hooks';

interface Observable {
  subscribe(fn: () => void): () => void;
}

/** Re-renders the component whenever `source` reports a change. */
export function useObserve(source: Observable): void {
  const [, setTick] = useState(0);
  useEffect(() => source.subscribe(() => setTick((t) => t + 1)), [source]);
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
