// Shapes the analytics the REST API answers into what the overview charts show.

import type { SessionDay } from './api';

/** The last 7 days, oldest first, with a day that had no session shown as 0. */
export function lastSevenDays(days: SessionDay[], today = new Date()): SessionDay[] {
  const byDate = new Map(days.map((d) => [d.session_date, d]));
  const out: SessionDay[] = [];
  for (let i = 6; i >= 0; i--) {
    const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
    const key = d.toISOString().slice(0, 10);
    out.push(byDate.get(key) ?? { session_date: key, session_count: 0, total_duration: '00:00:00' });
  }
  for (const d of days) if (!out.some((o) => o.session_date === d.session_date)) out.push(d);
  return out.sort((a, b) => a.session_date.localeCompare(b.session_date)).slice(-7);
}
