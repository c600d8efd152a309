// What the admin pages share: running a REST call with its error shown in words.

import { useState } from 'preact/hooks';
import { ApiError } from '../../api';

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** Runs REST calls one at a time, keeping the last error and success note for display. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const run = async <T,>(fn: () => Promise<T>, done?: string): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const v = await fn();
      if (done) setNote(done);
      return v;
    } catch (e) {
      setError(errorText(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, note, run, setError, setNote };
}

export function Feedback({ error, note }: { error: string | null; note: string | null }) {
  return (
    <>
      {error && <p class="error" role="alert">{error}</p>}
      {note && <p class="note" role="status">{note}</p>}
    </>
  );
}
