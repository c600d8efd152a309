// The message list: role log "Messages", one article per message, day separators. Only a
// window of the messages is in the DOM (the tail, grown or moved as the reader scrolls), it
// sticks to the bottom only when the reader is already there, and it keeps what the reader
// looks at in place when rows come and go above.

import { Component } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { dayKey, dayLabel, timeLabel } from '../format';

export interface ListMessage {
  cacheID: number;
  owner_id: string;
  username: string;
  message: string;
  authored_at: string;
}

/** Rows in the DOM at first and at most; rows added per step when scrolling. */
export const kInitialRows = 150;
export const kMaxRows = 450;
export const kStepRows = 100;
const kEdgePx = 300;
const kBottomPx = 32;

function upperBound(list: ListMessage[], id: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].cacheID <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One message; it never changes once shown, so it renders once. */
class Row extends Component<{ m: ListMessage; mine: boolean }> {
  shouldComponentUpdate(next: { m: ListMessage; mine: boolean }) {
    return next.m !== this.props.m || next.mine !== this.props.mine;
  }

  render() {
    const { m, mine } = this.props;
    return (
      <article class={mine ? 'msg mine' : 'msg'} data-id={m.cacheID}>
        <header>
          <span class="author">{m.username}</span>
          {mine && <span class="you"> (you)</span>}
          <time dateTime={m.authored_at}>{timeLabel(m.authored_at)}</time>
        </header>
        <p class="body">{m.message}</p>
      </article>
    );
  }
}

interface Props {
  messages: ListMessage[];
  meId: string;
  label: string;
}

export function MessageList({ messages, meId, label }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const endId = useRef<number | null>(null);
  const size = useRef(kInitialRows);
  const atBottom = useRef(true);
  const shownLast = useRef<number | null>(null);
  const anchor = useRef<{ id: number; offset: number } | null>(null);
  const [, setTick] = useState(0);
  const rerender = () => setTick((t) => t + 1);

  const total = messages.length;
  const lastId = total ? messages[total - 1].cacheID : 0;
  if (endId.current === null && !atBottom.current && shownLast.current !== null
      && lastId > shownLast.current) {
    endId.current = shownLast.current;
  }
  const endIdx = endId.current === null ? total : upperBound(messages, endId.current);
  const startIdx = Math.max(0, endIdx - size.current);
  const visible = messages.slice(startIdx, endIdx);
  const hidden = total - endIdx;

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const a = anchor.current;
    anchor.current = null;
    const target = a && el.querySelector<HTMLElement>(`[data-id="${a.id}"]`);
    if (target && a) el.scrollTop = target.offsetTop - a.offset;
    else if (atBottom.current && endId.current === null) el.scrollTop = el.scrollHeight;
    shownLast.current = visible.length ? visible[visible.length - 1].cacheID : null;
  });

  const keepAnchor = (el: HTMLDivElement) => {
    for (const row of el.querySelectorAll<HTMLElement>('article[data-id]')) {
      if (row.offsetTop + row.offsetHeight > el.scrollTop) {
        anchor.current = { id: Number(row.dataset.id), offset: row.offsetTop - el.scrollTop };
        return;
      }
    }
  };

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
    atBottom.current = fromBottom < kBottomPx;
    if (el.scrollTop < kEdgePx && startIdx > 0) {
      keepAnchor(el);
      if (size.current < kMaxRows) {
        size.current = Math.min(kMaxRows, size.current + kStepRows);
      } else {
        const newEnd = Math.max(size.current, endIdx - kStepRows);
        endId.current = messages[newEnd - 1].cacheID;
      }
      rerender();
    } else if (fromBottom < kEdgePx && endId.current !== null) {
      keepAnchor(el);
      const newEnd = Math.min(total, endIdx + kStepRows);
      endId.current = newEnd >= total ? null : messages[newEnd - 1].cacheID;
      rerender();
    } else if (atBottom.current && shownLast.current !== null && endIdx === total
               && endId.current !== null) {
      endId.current = null;
      rerender();
    }
  };

  const jumpToLatest = () => {
    endId.current = null;
    size.current = kInitialRows;
    atBottom.current = true;
    rerender();
  };

  const rows = [];
  let prevDay = startIdx > 0 ? dayKey(messages[startIdx - 1].authored_at) : '';
  for (const m of visible) {
    const day = dayKey(m.authored_at);
    if (day !== prevDay) {
      rows.push(
        <div class="day" role="separator" key={`day-${m.cacheID}`}>
          <span>{dayLabel(m.authored_at)}</span>
        </div>,
      );
      prevDay = day;
    }
    rows.push(<Row key={m.cacheID} m={m} mine={m.owner_id === meId} />);
  }

  return (
    <div class="messages-wrap">
      <div class="messages" ref={box} onScroll={onScroll} role="log" aria-label="Messages"
           aria-live="polite" tabIndex={0}>
        {startIdx > 0 && <p class="more-above">Scroll up for older messages</p>}
        {total === 0 && <p class="empty">{`No messages in ${label} yet.`}</p>}
        {rows}
      </div>
      {hidden > 0 && (
        <button type="button" class="jump" onClick={jumpToLatest}>
          {`${hidden} newer message${hidden === 1 ? '' : 's'} below`}
        </button>
      )}
    </div>
  );
}
