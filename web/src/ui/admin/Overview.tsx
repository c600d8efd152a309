// Overview: sessions per day (last 7 days) and messages per channel, polled every 10 s.

import { useEffect, useState } from 'preact/hooks';
import type { Api, ChannelCount, SessionDay } from '../../api';
import { BarChart } from '../BarChart';
import { errorText } from './common';
import { lastSevenDays } from '../../analytics';

const kRefreshMs = 10_000;

export function Overview({ api }: { api: Api }) {
  const [sessions, setSessions] = useState<SessionDay[]>([]);
  const [counts, setCounts] = useState<ChannelCount[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [updated, setUpdated] = useState<Date | null>(null);

  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        const [s, c] = await Promise.all([api.sessions(), api.channelCounts()]);
        if (!live) return;
        setSessions(lastSevenDays(s));
        setCounts(c);
        setError(null);
        setUpdated(new Date());
      } catch (e) {
        if (live) setError(errorText(e));
      }
    };
    void load();
    const t = setInterval(load, kRefreshMs);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [api]);

  return (
    <section>
      <h1>Overview</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <p class="hint">{updated ? `Updated ${updated.toLocaleTimeString()}; refreshed every 10 s.` : 'Loading…'}</p>
      <div class="charts">
        <BarChart title="Sessions per day (last 7 days)" unit="sessions"
                  labels={sessions.map((s) => s.session_date.slice(5))}
                  values={sessions.map((s) => s.session_count)} />
        <BarChart title="Messages per channel" unit="messages"
                  labels={counts.map((c) => c.channel)}
                  values={counts.map((c) => c.message_count)} />
      </div>
    </section>
  );
}
