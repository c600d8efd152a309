import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection } from './connection';
import { ChatStore } from './store';

class FakeSocket {
  static OPEN = 1;
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  constructor(readonly url: string, readonly protocols: string[]) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(obj: object) {
    this.onmessage?.({ data: JSON.stringify(obj) });
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const msg = (cacheID: number) => ({
  cacheID, owner_id: 'b', username: 'bob', channel: 'general', message: `m${cacheID}`,
  authored_at: '2026-12-02T10:00:00Z',
});

function storage() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
}

describe('connection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('location', { protocol: 'http:', host: 'chat.test' });
    vi.stubGlobal('navigator', { onLine: true });
    vi.stubGlobal('window', { addEventListener() {}, removeEventListener() {} });
    vi.stubGlobal('sessionStorage', storage());
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  function make(probe: 'ok' | 'unauthorized' = 'ok') {
    const store = new ChatStore();
    const onExpired = vi.fn();
    const c = new Connection({ store, token: () => 'tok', onExpired, probe: async () => probe });
    return { store, c, onExpired };
  }

  it('offers the token as a subprotocol and resumes with since after a drop', async () => {
    const { store, c } = make();
    c.start();
    const first = FakeSocket.all[0];
    expect(first.url).toBe('ws://chat.test/ws');
    expect(first.protocols).toEqual(['bearer', 'tok']);
    first.open();
    first.receive({ type: 'bulk_chat_messages', sender: 'Server', payload: { messages: [msg(1), msg(2)] } });
    expect(c.state).toBe('connected');
    first.drop(1001);
    await vi.advanceTimersByTimeAsync(0);
    expect(c.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(700);
    const second = FakeSocket.all[1];
    expect(second.url).toBe('ws://chat.test/ws?since=2');
    second.open();
    second.receive({ type: 'bulk_chat_messages', sender: 'Server', payload: { messages: [msg(2), msg(3)] } });
    expect(store.messagesOf('c:general').map((m) => m.cacheID)).toEqual([1, 2, 3]);
    c.stop();
  });

  it('shows the banned screen on 4003 and does not reconnect', async () => {
    const { c } = make();
    c.start();
    FakeSocket.all[0].open();
    FakeSocket.all[0].drop(4003);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(c.state).toBe('banned');
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('still says banned when a later upgrade is refused', async () => {
    const { c } = make('ok');
    c.start();
    FakeSocket.all[0].open();
    FakeSocket.all[0].drop(4003);
    await vi.advanceTimersByTimeAsync(0);
    c.connectNow();
    FakeSocket.all[1].drop(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(c.state).toBe('banned');
  });

  it('asks for a new sign-in on 4001 and when a refused upgrade turns out to be a 401', async () => {
    const a = make();
    a.c.start();
    FakeSocket.all[0].open();
    FakeSocket.all[0].drop(4001);
    await vi.advanceTimersByTimeAsync(0);
    expect(a.c.state).toBe('expired');
    expect(a.onExpired).toHaveBeenCalledTimes(1);

    const b = make('unauthorized');
    b.c.start();
    FakeSocket.all[1].drop(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(b.c.state).toBe('expired');
    expect(b.onExpired).toHaveBeenCalledTimes(1);
  });

  it('hands a renewed token to the open socket', () => {
    const { c } = make();
    c.start();
    FakeSocket.all[0].open();
    c.refreshToken('fresh');
    expect(JSON.parse(FakeSocket.all[0].sent[0])).toEqual({ type: 'refresh_token', token: 'fresh' });
  });
});
