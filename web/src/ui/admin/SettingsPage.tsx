// Settings: the rate limit (messages per window), in force at once on every instance.

import { useEffect, useState } from 'preact/hooks';
import type { Api, RateLimit } from '../../api';
import { Feedback, useAction } from './common';

export function SettingsPage({ api }: { api: Api }) {
  const [limit, setLimit] = useState<RateLimit | null>(null);
  const [messages, setMessages] = useState('');
  const [windowSeconds, setWindowSeconds] = useState('');
  const { busy, error, note, run, setError } = useAction();

  useEffect(() => {
    void run(async () => {
      const r = await api.rateLimit();
      setLimit(r);
      if (r) {
        // What someone typed while the figures loaded is kept, not overwritten.
        setMessages((typed) => (typed === '' ? String(r.message_limit) : typed));
        setWindowSeconds((typed) => (typed === '' ? String(r.window_seconds) : typed));
      }
    });
  }, [api]);

  const save = async (ev: Event) => {
    ev.preventDefault();
    const m = Number(messages);
    const w = Number(windowSeconds);
    if (!Number.isInteger(m) || m <= 0 || !Number.isInteger(w) || w <= 0) {
      setError('Both figures are whole numbers above 0.');
      return;
    }
    await run(async () => {
      await api.setRateLimit({ id: limit?.id ?? 1, message_limit: m, window_seconds: w });
      setLimit({ ...(limit ?? { id: 1 }), message_limit: m, window_seconds: w });
    }, `Saved: ${m} messages per ${w} s, in force now.`);
  };

  return (
    <section>
      <h1>Settings</h1>
      <h2>Rate limit</h2>
      <p class="hint">How many messages one person may send in a window of time.</p>
      <form class="inline-form" aria-label="Rate limit" onSubmit={save}>
        <label>
          Message limit
          <input type="number" min={1} step={1} required value={messages}
                 onInput={(e) => setMessages((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Window (seconds)
          <input type="number" min={1} step={1} required value={windowSeconds}
                 onInput={(e) => setWindowSeconds((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={busy}>Save</button>
      </form>
      <Feedback error={error} note={note} />
    </section>
  );
}
