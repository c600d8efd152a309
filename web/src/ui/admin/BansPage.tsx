// Bans: every ban with paging; pardon the ones in force.

import { useEffect, useState } from 'preact/hooks';
import type { Api, BanRecord } from '../../api';
import { dateTimeLabel } from '../../format';
import { Feedback, useAction } from './common';

const kPage = 50;

export function BansPage({ api }: { api: Api }) {
  const [offset, setOffset] = useState(0);
  const [records, setRecords] = useState<BanRecord[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const { busy, error, note, run } = useAction();

  const load = async (at: number, done?: string) => {
    const r = await run(() => api.bans(kPage, at), done);
    if (!r) return;
    setOffset(at);
    setRecords(r.records);
    setHasMore(r.hasMore);
  };
  useEffect(() => {
    void load(0);
  }, [api]);

  const pardon = async (b: BanRecord) => {
    const ok = await run(async () => {
      await api.pardon(b.id);
      return true;
    });
    if (ok) await load(offset, `${b.banished_username} is pardoned.`);
  };

  return (
    <section>
      <h1>Bans</h1>
      <Feedback error={error} note={note} />
      {records.length === 0 ? <p class="empty">No bans.</p> : (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">User</th><th scope="col">Reason</th><th scope="col">From</th>
              <th scope="col">Until</th><th scope="col">State</th><th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {records.map((b) => {
              const over = b.pardoned || (b.end !== undefined && new Date(b.end).getTime() < Date.now());
              return (
                <tr key={b.id}>
                  <th scope="row">{b.banished_username}<span class="hint"> {b.banished_id}</span></th>
                  <td>{b.reason ?? ''}</td>
                  <td>{dateTimeLabel(b.start)}</td>
                  <td>{b.end ? dateTimeLabel(b.end) : 'permanent'}</td>
                  <td>{b.pardoned ? 'pardoned' : over ? 'expired' : 'in force'}</td>
                  <td>
                    {!over && (
                      <button type="button" class="small" aria-label={`Pardon ${b.banished_username}`}
                              disabled={busy} onClick={() => pardon(b)}>Pardon</button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p class="row pager">
        <button type="button" class="secondary" disabled={offset === 0 || busy}
                onClick={() => load(Math.max(0, offset - kPage))}>Previous page</button>
        <span>{`Page ${offset / kPage + 1}`}</span>
        <button type="button" class="secondary" disabled={!hasMore || busy}
                onClick={() => load(offset + kPage)}>Next page</button>
      </p>
    </section>
  );
}
