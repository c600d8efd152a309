"""Several natter instances on one Valkey (Redis) and one PostgreSQL: chat, presence, private
messages, rate limits and moderation span instances; a dead instance's users drop out of
presence and what its clients saw is still stored, exactly once; a Valkey restart is survived
without losing connections, reusing a cacheID or storing anything twice; a bad
NATTER_VALKEY_URL stops start-up. Each test starts its own redis-server, PostgreSQL and
natters (see valkey_e2e.py)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import tempfile
import time
from pathlib import Path

import pytest

from natter_e2e import (User, check_chat_payload, check_envelope, check_error,
                        check_private_payload, free_port, join, make_user,
                        http_request, raw_upgrade)
from test_durability import Postgres
from test_lifecycle import run_natter
from valkey_e2e import (Feed, Redis, check_increasing, is_chat, psql_rows, rest,
                        start_instances, stored_public)

PRESENCE_TIMEOUT = 3


@pytest.fixture
def pg():
    # Not under pytest's tmp_path: as root the cluster runs as `postgres`, who cannot enter it.
    cluster = Postgres(Path(tempfile.mkdtemp(prefix="natter-pg.")))
    yield cluster
    cluster.remove()


@pytest.fixture
def valkey(request):
    server = Redis()
    sections = getattr(request.node, "_natter_services", [])
    sections += [(f"redis on port {server.port} (keys)", server.describe),
                 (f"redis on port {server.port} (log tail)", server.log_tail)]
    request.node._natter_services = sections
    yield server
    server.remove()


@pytest.fixture
def cluster(pg, valkey, start_natter):
    """cluster(count, *flags, presence_timeout=3) -> [Natter...] on one Valkey and one
    PostgreSQL. Set up after both services, so the natters stop before they do."""
    def start(count: int, *flags, presence_timeout: float = PRESENCE_TIMEOUT):
        return start_instances(start_natter, count, valkey, pg.url, *flags,
                               presence_timeout=presence_timeout)
    return start


def listed(client) -> list[dict]:
    users = check_envelope(client.seq("connected_users"), "connected_users")["users"]
    return sorted(users, key=lambda u: u["username"])


def statuses_of(*users: User) -> list[dict]:
    return sorted((u.status(True) for u in users), key=lambda s: s["username"])


def by_text(feed: Feed) -> dict[str, int]:
    return {p["message"]: p["cacheID"] for p in feed.chats()}


class Writer:
    """Sends chat messages `<prefix>-<n>` (with ref = text) from one client as fast as
    `interval` allows until stopped or its connection ends."""

    def __init__(self, feed: Feed, prefix: str, interval: float):
        self.feed = feed
        self.prefix = prefix
        self.interval = interval
        self.sent: list[str] = []
        self.n = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while not self._stop.is_set():
            text = f"{self.prefix}-{self.n}"
            self.n += 1
            try:
                await self.feed.client.chat(text, ref=text)
            except Exception:  # the connection ended (its natter was killed)
                return
            self.sent.append(text)
            await asyncio.sleep(self.interval)

    async def send(self, text: str) -> None:
        await self.feed.client.chat(text, ref=text)
        self.sent.append(text)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None


async def wait_stored(url: str, texts: dict[int, str], timeout: float) -> list:
    """Polls PostgreSQL until every (cacheID -> text) in `texts` is stored; returns the rows."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await asyncio.to_thread(stored_public, url)
        have = {cid for cid, _, _ in rows}
        missing = sorted(set(texts) - have)
        if not missing:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(missing)} of {len(texts)} delivered messages not in "
                                 f"PostgreSQL {timeout}s later, e.g. "
                                 f"{[(c, texts[c]) for c in missing[:8]]}; {len(rows)} rows "
                                 f"stored")
        await asyncio.sleep(0.5)


def check_stored_once(rows: list, seen: dict[int, str], required: dict[int, str] | None = None,
                      refused: set[str] = frozenset()) -> None:
    """Every `required` message (default: every delivered one) is stored with its cacheID, what
    is stored under a delivered cacheID is the delivered text, no text is stored twice, nothing
    refused is stored."""
    texts = [m for _, _, m in rows]
    twice = sorted({t for t in texts if texts.count(t) > 1})
    assert not twice, f"stored more than once: {twice[:10]}"
    ids = [c for c, _, _ in rows]
    assert len(ids) == len(set(ids)), "a cache_id stored twice"
    stored = {c: m for c, _, m in rows}
    required = seen if required is None else required
    missing = [(c, t) for c, t in required.items() if c not in stored]
    assert not missing, f"delivered messages not stored: {missing[:10]}"
    wrong = [(c, seen[c], stored[c]) for c in seen if c in stored and stored[c] != seen[c]]
    assert not wrong, f"stored under a delivered cacheID with another text: {wrong[:10]}"
    kept = sorted(refused & set(texts))
    assert not kept, f"refused messages were stored: {kept[:10]}"


# --- 1. chat across instances -------------------------------------------------------------------

@pytest.mark.timeout(60)
async def test_chat_across_two_instances_in_one_order(cluster, idp):
    a, b = cluster(2)
    users = [make_user(n) for n in ("ann", "abe", "bea", "bob")]
    homes = [a, a, b, b]
    clients = [await join(home, idp, u) for home, u in zip(homes, users)]
    feeds = [Feed(c) for c in clients]
    per_sender = 15

    async def send_all(i: int) -> None:
        for k in range(per_sender):
            await clients[i].chat(f"{users[i].username}-{k}")
            await asyncio.sleep(0.003 * ((i + k) % 4))  # interleave the senders unevenly

    await asyncio.gather(*(send_all(i) for i in range(len(clients))))
    total = per_sender * len(clients)
    for f in feeds:
        await f.until(lambda f: len(f.chats()) >= total, 15,
                      f"all {total} messages (from both instances)")
    await asyncio.sleep(0.7)  # anything more would be a duplicate

    reference = [(p["cacheID"], p["message"]) for p in feeds[0].chats()]
    for f in feeds:
        check_increasing(f)
        got = [(p["cacheID"], p["message"]) for p in f.chats()]
        assert len(got) == total, f"{f.name} received {len(got)} chat messages, sent {total}"
        assert got == reference, \
            f"{f.name} saw another order than {feeds[0].name}: " \
            f"{[(x, y) for x, y in zip(got, reference) if x != y][:5]}"
    sent = {f"{u.username}-{k}" for u in users for k in range(per_sender)}
    assert {t for _, t in reference} == sent
    authors = {u.username: u for u in users}
    for p in feeds[0].chats():
        check_chat_payload(p, authors[p["message"].rsplit("-", 1)[0]], p["message"])
    for u in users:  # each sender's messages keep the order they were sent in
        mine = [t for _, t in reference if t.rsplit("-", 1)[0] == u.username]
        assert mine == [f"{u.username}-{k}" for k in range(per_sender)], mine

    # Reconnect replay works on either instance, from the shared cache.
    ids = [c for c, _ in reference]
    middle = ids[total // 2 - 1]
    for home in (a, b):
        again = await join(home, idp, users[0], since=middle)
        bulk = again.seq("bulk_chat_messages")
        assert bulk is not None, f"no replay on port {home.port}: {again.types}"
        replayed = [(m["cacheID"], m["message"]) for m in bulk["payload"]["messages"]]
        assert replayed == reference[total // 2:], \
            f"replay since {middle} on port {home.port}: {replayed[:3]}... " \
            f"({len(replayed)} messages, expected {total - total // 2})"
        fresh = await join(home, idp, make_user(f"late{home.port}"))
        bulk = fresh.seq("bulk_chat_messages")
        assert bulk is not None, fresh.types
        assert [(m["cacheID"], m["message"]) for m in bulk["payload"]["messages"]] == reference
        await again.close()
        await fresh.close()


# --- 2. presence and private messages across instances -------------------------------------------

@pytest.mark.timeout(60)
async def test_presence_and_private_messages_across_instances(cluster, idp):
    a, b = cluster(2)
    alice, bob, carol, dave = (make_user(n) for n in ("alice", "bob", "carol", "dave"))

    a1 = await join(a, idp, alice)
    assert listed(a1) == statuses_of(alice)
    fa1 = Feed(a1)
    b1 = await join(b, idp, bob)  # bob, on the other instance
    assert listed(b1) == statuses_of(alice, bob), "connected_users must span instances"
    fb1 = Feed(b1)
    await fa1.until(lambda f: f.statuses(bob) == [True], 5, "bob (on B) announced online on A")

    a2 = await join(b, idp, alice)  # alice's second tab, on B
    assert listed(a2) == statuses_of(alice, bob), "each user listed once, wherever connected"
    fa2 = Feed(a2)
    # An admin dashboard on B is neither announced nor listed anywhere.
    console = await join(b, idp, make_user("console", dashboard=True, admin=True))
    assert listed(console) == statuses_of(alice, bob)
    c1 = await join(a, idp, carol)
    assert listed(c1) == statuses_of(alice, bob, carol)
    fc1 = Feed(c1)
    for f in (fa1, fa2, fb1):
        await f.until(lambda f: f.statuses(carol) == [True], 5, "carol (on A) announced")
    await asyncio.sleep(0.5)
    assert fb1.statuses(alice) == [], "alice's second tab (on B) announced her again"
    assert [p for p in fa1.of_type("user_status") if p["username"] == "console"] == [], \
        "the dashboard on B was announced on A"
    assert fa1.statuses(bob) == [True], "bob announced more than once"

    # A whisper from A to a user connected only on B reaches both of alice's tabs and bob.
    await a1.whisper(bob, "psst, over here")
    got = []
    for f in (fa1, fa2, fb1):
        m = await f.find(lambda m: m.get("type") == "private_chat_message"
                         and m["payload"]["message"] == "psst, over here", 5,
                         "the private message from alice (A) to bob (B)")
        assert m["sender"] == "alice", m
        check_private_payload(m["payload"], alice, bob, "psst, over here")
        got.append(m["payload"])
    assert all(g == got[0] for g in got), got
    # And bob's answer from B reaches alice on both instances.
    await b1.whisper(alice, "hello from B")
    answers = []
    for f in (fa1, fa2, fb1):
        m = await f.find(lambda m: m.get("type") == "private_chat_message"
                         and m["payload"]["message"] == "hello from B", 5,
                         "the private answer from bob (B) to alice")
        check_private_payload(m["payload"], bob, alice, "hello from B")
        answers.append(m["payload"])
    assert all(x == answers[0] for x in answers), answers
    assert answers[0]["cacheID"] > got[0]["cacheID"]
    for f in (fa1, fa2, fb1):
        assert len(f.of_type("private_chat_message")) == 2, f.summary()
    await asyncio.sleep(0.5)
    assert fc1.of_type("private_chat_message") == [], "carol received someone else's whisper"
    # Both whispers are replayed to bob's new tab on A, from the shared cache.
    b2 = await join(a, idp, bob)
    bulk = b2.seq("bulk_private_messages")
    assert bulk is not None, f"no private replay for bob on A: {b2.types}"
    replayed = [{k: v for k, v in m.items() if k != "id"} for m in bulk["payload"]["messages"]]
    assert replayed == [got[0], answers[0]], bulk
    await b2.close()

    # alice closes her tab on A; she is still connected on B, so nobody hears she left, even
    # after several presence heartbeats.
    await a1.close()
    await asyncio.sleep(PRESENCE_TIMEOUT + 1)
    for f in (fb1, fc1):
        assert f.statuses(alice) == [], f"{f.name} was told alice left while on B: {f.summary()}"
    d1 = await join(a, idp, dave)
    assert listed(d1) == statuses_of(alice, bob, carol, dave), \
        "alice (connected only on B now) must still be listed on A"
    fd1 = Feed(d1)

    # Her last tab closes: everyone, on both instances, hears it once.
    await a2.close()
    for f in (fb1, fc1, fd1):
        await f.until(lambda f: f.statuses(alice) == [False], 5,
                      "alice offline after her last tab (on B) closed")
    await b1.close()
    for f in (fc1, fd1):
        await f.until(lambda f: f.statuses(bob)[-1:] == [False], 5, "bob (on B) offline on A")
    await asyncio.sleep(0.5)
    for f in (fc1, fd1):
        assert f.statuses(alice) == [False] and f.statuses(bob)[-1:] == [False] \
            and f.statuses(bob).count(False) == 1, f.summary()


# --- 3. one rate limit across instances ---------------------------------------------------------

@pytest.mark.timeout(60)
async def test_rate_limit_is_shared_across_instances(cluster, idp):
    a, b = cluster(2, "--rate-limit", "3/60")
    alice, bob, root = make_user("alice"), make_user("bob"), make_user("root", admin=True)
    fa = Feed(await join(a, idp, alice))
    fb = Feed(await join(b, idp, alice))
    feeds = (fa, fb)

    async def accepted(feed: Feed, text: str) -> None:
        await feed.client.chat(text, ref=text)
        for f in feeds:
            await f.find(is_chat(text), 5, f"{text!r} delivered")

    await accepted(fa, "one")
    await accepted(fa, "two")
    await accepted(fb, "three")
    await fb.client.chat("four", ref="r4")
    m = await fb.find(lambda m: m.get("type") == "error", 5, "an error for the 4th message")
    p = check_error(m, "rate_limited", ref="r4")
    assert isinstance(p["retry_after_ms"], int) and 0 < p["retry_after_ms"] <= 60000, p
    await asyncio.sleep(0.5)
    for f in feeds:
        assert "four" not in by_text(f), f"{f.name}: a refused message was broadcast"
        assert [x["message"] for x in f.chats()] == ["one", "two", "three"], f.summary()
    assert fa.errors() == [] and len(fb.errors()) == 1, \
        f"expected exactly one rate_limited error: A {fa.errors()}, B {fb.errors()}"

    # A change made through A's REST API bites on B within a second: lower it ...
    fbob = Feed(await join(b, idp, bob))
    token = idp.token(root)
    status, doc = rest(a, "PATCH", "/ratelimits", token,
                       {"id": 1, "message_limit": 1, "window_seconds": 60})
    assert (status, doc) == (200, {"message": "Rate limit updated"}), (status, doc)
    status, doc = rest(b, "GET", "/ratelimits", token)
    assert status == 200 and doc["rate_limiter"]["message_limit"] == 1 \
        and doc["rate_limiter"]["window_seconds"] == 60, doc
    await asyncio.sleep(1.0)
    await fbob.client.chat("bob one")
    await fbob.find(is_chat("bob one"), 5, "bob's first message")
    await fbob.client.chat("bob two", ref="b2")
    m = await fbob.find(lambda m: m.get("type") in ("error", "chat_message")
                        and m["payload"].get("message") != "bob one", 5,
                        "an answer to bob's second message")
    check_error(m, "rate_limited", ref="b2")

    # ... and raise it: alice, refused above, may send again on B.
    status, doc = rest(a, "PATCH", "/ratelimits", token,
                       {"id": 1, "message_limit": 100, "window_seconds": 60})
    assert status == 200, doc
    await asyncio.sleep(1.0)
    start = len(fb.messages)
    await fb.client.chat("five", ref="r5")
    m = await fb.find(lambda m: m.get("type") in ("error", "chat_message"), 5,
                      "an answer to alice's fifth message", start)
    assert m["type"] == "chat_message" and m["payload"]["message"] == "five", \
        f"the raised limit made on A is not in force on B: {m}"
    await fa.find(is_chat("five"), 5, "'five' delivered on A")


# --- 4. moderation on A acts on B ---------------------------------------------------------------

@pytest.mark.timeout(60)
async def test_moderation_on_one_instance_acts_on_the_other(cluster, idp):
    a, b = cluster(2)
    root, alice, bob, carol = (make_user("root", admin=True), make_user("alice"),
                               make_user("bob"), make_user("carol"))
    token = idp.token(root)
    fa = Feed(await join(a, idp, alice))
    fc = Feed(await join(b, idp, carol))

    # A channel created on A reaches B's clients, and B accepts messages for it.
    status, doc = rest(a, "POST", "/channels", token, {"name": "random"})
    assert (status, doc) == (201, {"message": "Channel created", "name": "random"}), doc
    for f in (fa, fc):
        m = await f.find(lambda m: m.get("type") == "active_channels", 5,
                         "active_channels after the channel was created on A")
        channels = check_envelope(m, "active_channels")["channels"]
        assert [c["name"] for c in channels] == ["general", "random"], channels
    random_id = channels[1]["id"]
    await fc.client.chat("hello random", channel="random", ref="hr")
    for f in (fa, fc):
        m = await f.find(lambda m: m.get("type") in ("chat_message", "error"), 5,
                         "carol's message in the new channel")
        assert m["type"] == "chat_message", f"B refused the channel created on A: {m}"
        check_chat_payload(m["payload"], carol, "hello random", channel="random")
    # A channel deleted on A is gone on B: B refuses messages for it.
    start = len(fc.messages)
    status, doc = rest(a, "DELETE", f"/channels?id={random_id}&purge=true", token)
    assert (status, doc) == (200, {"message": "Channel deleted"}), (status, doc)
    m = await fc.find(lambda m: m.get("type") == "active_channels", 5,
                      "active_channels after the channel was deleted on A", start)
    assert [c["name"] for c in m["payload"]["channels"]] == ["general"], m
    await fc.client.chat("anyone here?", channel="random", ref="gone")
    m = await fc.find(lambda m: m.get("type") in ("chat_message", "error")
                      and m["payload"].get("message") != "hello random", 5,
                      "an answer to a message for the deleted channel", start)
    check_error(m, "unknown_channel", ref="gone")

    # Messages deleted through A disappear on B.
    for text in ("doomed one", "doomed two", "keeper"):
        await fa.client.chat(text)
        await fc.find(is_chat(text), 5, f"{text!r} delivered on B")
    deadline = time.monotonic() + 20
    while True:  # the REST delete takes database ids: wait for the flush
        status, doc = rest(a, "GET", "/messages?channel=general", token)
        assert status == 200, doc
        found = {m["message"]: m for m in doc["payload"]["messages"]}
        if {"doomed one", "doomed two", "keeper"} <= set(found):
            break
        assert time.monotonic() < deadline, f"messages not in the store 20 s later: {doc}"
        await asyncio.sleep(0.5)
    doomed = [found["doomed one"], found["doomed two"]]
    status, doc = rest(a, "DELETE", "/messages", token, {"ids": [m["id"] for m in doomed]})
    assert (status, doc) == (204, None), (status, doc)
    for f in (fa, fc):
        m = await f.find(lambda m: m.get("type") == "messages_deleted", 5,
                         "messages_deleted after a delete on A")
        p = check_envelope(m, "messages_deleted")
        assert sorted(p["cache_ids"]) == sorted(m["cacheID"] for m in doomed), p
    newcomer = await join(b, idp, make_user("newcomer"))
    bulk = newcomer.seq("bulk_chat_messages")
    replayed = [m["message"] for m in bulk["payload"]["messages"]
                if m["channel"] == "general"] if bulk else []
    assert replayed == ["keeper"], f"B's replay after the delete on A: {replayed}"
    status, doc = rest(b, "GET", "/messages?channel=general", token)
    assert [m["message"] for m in doc["payload"]["messages"]] == ["keeper"], doc
    await newcomer.close()

    # A ban issued on A closes the user's connections on B (and on A) with 4003.
    fb_b = Feed(await join(b, idp, bob))
    fb_a = Feed(await join(a, idp, bob))
    await fa.until(lambda f: f.statuses(bob) == [True], 5, "bob online")
    status, doc = rest(a, "POST", "/users/ban", token, {"banished_id": bob.sub,
                                                        "reason": "spam"})
    assert status == 200, doc
    assert await fb_b.wait_closed(5) == 4003, "bob's connection on B"
    assert await fb_a.wait_closed(5) == 4003, "bob's connection on A"
    for f in (fa, fc):
        await f.until(lambda f: f.statuses(bob) == [True, False], 5, "bob offline once")
    status, _, body = raw_upgrade(b.port, f"/ws?token={idp.token(bob)}")
    assert status == 403, (status, body)
    await fa.ping()
    await fc.ping()  # nobody else was closed


# --- 5. an instance dies ------------------------------------------------------------------------

@pytest.mark.timeout(90)
async def test_killed_instance_drops_out_and_loses_nothing(cluster, idp, pg):
    # The doomed instance starts first and alone, so its flusher is the one that takes the
    # flush lock: the survivors can store its clients' messages only once that lock expired.
    c, = cluster(1)
    await asyncio.sleep(0.5)
    a, b = cluster(2)
    x, y, both, zed, zoe = (make_user(n) for n in ("xena", "yuri", "both", "zed", "zoe"))
    fx = Feed(await join(a, idp, x))
    fy = Feed(await join(b, idp, y))
    fboth_a = Feed(await join(a, idp, both))
    fboth_c = Feed(await join(c, idp, both))  # `both` also has a tab on the doomed instance
    fzed = Feed(await join(c, idp, zed))
    fzoe = Feed(await join(c, idp, zoe))
    survivors = (fx, fy, fboth_a)
    everyone = survivors + (fboth_c, fzed, fzoe)
    for f in (fx, fy):
        await f.until(lambda f: f.statuses(zoe) == [True], 5, "zoe (on C) online")

    writers = [Writer(fzed, "zed", 0.01), Writer(fzoe, "zoe", 0.01)]
    for w in writers:
        w.start()
    await asyncio.sleep(1.0)
    c.expect_exit = True
    c.proc.kill()
    killed = time.monotonic()
    c.proc.wait()
    for w in writers:
        await w.stop()

    # Presence: the dead instance's users go offline on the survivors, `both` does not.
    limit = 2 * PRESENCE_TIMEOUT + 2
    for f in survivors:
        await f.until(lambda f: False in f.statuses(zed) and False in f.statuses(zoe),
                      max(0.1, limit - (time.monotonic() - killed)),
                      f"zed and zoe offline within {limit}s of their instance's death")
    gone_after = time.monotonic() - killed
    await asyncio.sleep(1.0)
    for f in survivors:
        assert f.statuses(zed).count(False) == 1 and f.statuses(zoe).count(False) == 1, \
            f"{f.name}: offline announced more than once: {f.summary()}"
        assert False not in f.statuses(both), \
            f"{f.name}: `both` announced offline though still connected on A"
    nc = make_user("newcomer")
    newcomer = await join(b, idp, nc)
    assert [u["username"] for u in listed(newcomer)] == ["both", "newcomer", "xena", "yuri"]

    # The dead instance's sessions are closed by the survivors; their own stay open.
    live = sorted(u.sub for u in (x, y, both, nc))
    deadline = time.monotonic() + 10
    while True:
        still_open = sorted(r[0] for r in psql_rows(
            pg.url, 'SELECT user_id FROM sessions WHERE "end" IS NULL'))
        if still_open == live:
            break
        assert time.monotonic() < deadline, \
            f"open sessions after C's death: {still_open}, expected those on A and B: {live}"
        await asyncio.sleep(0.3)

    # Chat goes on between the survivors.
    await fx.client.chat("after the kill")
    await fy.find(is_chat("after the kill"), 5, "chat from A to B after C died")

    # Every message anyone saw (C's own clients included) is stored exactly once.
    seen: dict[int, str] = {}
    for f in everyone:
        for p in f.chats():
            assert seen.setdefault(p["cacheID"], p["message"]) == p["message"], \
                f"cacheID {p['cacheID']} delivered with two texts"
    from_c = {cid for cid, t in seen.items() if t.startswith(("zed-", "zoe-"))}
    assert len(from_c) > 20, f"too few messages flowed before the kill: {len(from_c)}"
    for f in everyone:
        check_increasing(f)
    rows = await wait_stored(pg.url, seen, 20)
    stored_after = time.monotonic() - killed
    check_stored_once(rows, seen)
    sent = set(writers[0].sent) | set(writers[1].sent) | {"after the kill"}
    strange = [m for _, _, m in rows if m not in sent]
    assert not strange, f"stored messages nobody sent: {strange[:5]}"
    print(f"offline seen {gone_after:.1f}s after the kill; {len(from_c)} messages from C seen, "
          f"{len(rows)} stored {stored_after:.1f}s after the kill")


# --- 5b. an instance stops gracefully -------------------------------------------------------------

@pytest.mark.timeout(60)
async def test_stopped_instance_says_goodbye_at_once(cluster, idp, pg):
    """SIGTERM: the instance's clients are closed with 1001, and the other instances hear at once
    (not after the presence timeout) that its users left; what they sent is stored."""
    a, b = cluster(2, presence_timeout=15)
    x, y, both = make_user("xena"), make_user("yuri"), make_user("both")
    fx = Feed(await join(a, idp, x))
    fboth_a = Feed(await join(a, idp, both))
    fy = Feed(await join(b, idp, y))
    fboth_b = Feed(await join(b, idp, both))
    await fx.until(lambda f: f.statuses(y) == [True], 5, "yuri (on B) online")
    texts = [f"yuri-{i}" for i in range(20)]
    for t in texts:
        await fy.client.chat(t)
    await fx.until(lambda f: all(t in by_text(f) for t in texts), 5, "yuri's messages on A")

    b.expect_exit = True
    b.signal(signal.SIGTERM)
    stopped = time.monotonic()
    assert await fy.wait_closed(10) == 1001
    assert await fboth_b.wait_closed(10) == 1001
    await fx.until(lambda f: f.statuses(y) == [True, False], 5,
                   "yuri offline soon after his instance stopped (presence timeout is 15 s)")
    assert time.monotonic() - stopped < 8
    assert await asyncio.to_thread(b.wait, 15) == 0, f"natter exited with {b.proc.returncode}"
    await asyncio.sleep(1.0)
    assert False not in fx.statuses(both), "`both` announced offline though still on A"
    newcomer = await join(a, idp, make_user("newcomer"))
    assert [u["username"] for u in listed(newcomer)] == ["both", "newcomer", "xena"]

    await fx.client.chat("still here")
    await fboth_a.find(is_chat("still here"), 5, "chat on A after B stopped")
    seen = {p["cacheID"]: p["message"] for p in fx.chats()}
    rows = await wait_stored(pg.url, seen, 20)
    check_stored_once(rows, seen)


# --- 6. Valkey restarts under load --------------------------------------------------------------

@pytest.mark.timeout(120)
@pytest.mark.parametrize("outage", [0.7, 2.5], ids=["short-outage", "long-outage"])
async def test_valkey_restart_under_load(cluster, idp, valkey, pg, outage):
    a, b = cluster(2)
    w1, w2, r1, r2 = (make_user(n) for n in ("w1", "w2", "r1", "r2"))
    fw1 = Feed(await join(a, idp, w1))
    fw2 = Feed(await join(b, idp, w2))
    fr1 = Feed(await join(a, idp, r1))
    fr2 = Feed(await join(b, idp, r2))
    feeds = (fw1, fw2, fr1, fr2)
    writers = [Writer(fw1, "w1", 0.03), Writer(fw2, "w2", 0.03)]

    for w in writers:
        w.start()
    await asyncio.sleep(1.5)
    for f in feeds:
        assert len(f.chats()) > 10, f"chat is not flowing before the outage: {f.summary()}"
    # Private messages count separately: one before the outage ...
    await fw1.client.whisper(r2, "private before")
    whisper_before = (await fr2.find(lambda m: m.get("type") == "private_chat_message", 5,
                                     "a whisper before the outage"))["payload"]

    valkey.kill()
    await asyncio.sleep(outage)  # the writers keep going, through the outage and the restart
    for n in (a, b):
        assert n.proc.poll() is None, f"natter on port {n.port} died with Valkey:\n" \
                                      f"{n.log_tail()}"
    for f in (fw1, fw2):
        m = await f.find(lambda m: m.get("type") == "error", 10,
                         "an error for a message sent while Valkey is down")
        check_error(m, "unavailable", ref=m["payload"].get("ref"))
    for f in feeds:
        assert f.closed is None, f"{f.name} closed during the outage"
        await f.ping()
    before_max = max(max(f.chat_ids()) for f in feeds)
    delivered_before = {t for f in feeds for t in by_text(f)}
    sent_before = {w.prefix: len(w.sent) for w in writers}

    valkey.start()
    restarted = time.monotonic()
    # Recovery: a message of each writer sent after the restart reaches all four clients.
    recovered: dict[str, float] = {}
    while len(recovered) < len(writers):
        assert time.monotonic() - restarted < 12, \
            f"chat did not recover within 12 s of Valkey's return: " \
            f"{[f.summary(4) for f in feeds]}"
        await asyncio.sleep(0.1)
        for w in writers:
            later = w.sent[sent_before[w.prefix]:]
            if w.prefix not in recovered and any(all(t in by_text(f) for f in feeds)
                                                  for t in later):
                recovered[w.prefix] = time.monotonic() - restarted
    print(f"recovered {recovered} s after Valkey's restart")
    await asyncio.sleep(1.0)
    for w in writers:
        await w.stop()

    # Presence was lost with Valkey's data: the instances put their users back.
    deadline = time.monotonic() + PRESENCE_TIMEOUT + 2
    for home in (a, b):
        while True:
            newcomer = await join(home, idp, make_user("newcomer"))
            names = [u["username"] for u in listed(newcomer)]
            await newcomer.close()
            if names == ["newcomer", "r1", "r2", "w1", "w2"]:
                break
            assert time.monotonic() < deadline, \
                f"connected_users on port {home.port} after Valkey's restart: {names}"
            await asyncio.sleep(0.3)

    # ... and one after it: its cacheID is above, too.
    await fw2.client.whisper(r1, "private after")
    whisper_after = (await fr1.find(lambda m: m.get("type") == "private_chat_message"
                                    and m["payload"]["message"] == "private after", 5,
                                    "a whisper after Valkey's restart"))["payload"]
    assert whisper_after["cacheID"] > whisper_before["cacheID"], \
        f"private cacheID reused after Valkey's restart: {whisper_before} then {whisper_after}"

    # From here on everything is delivered everywhere.
    final = []
    for i in range(10):
        for w in writers:
            text = f"{w.prefix}-after-{i}"
            await w.send(text)
            final.append(text)
        await asyncio.sleep(0.02)
    for f in feeds:
        await f.until(lambda f: all(t in by_text(f) for t in final), 10,
                      "every message sent after the recovery")
    await asyncio.sleep(1.0)

    seen: dict[int, str] = {}
    for f in feeds:
        check_increasing(f)
        for p in f.chats():
            assert seen.setdefault(p["cacheID"], p["message"]) == p["message"], \
                f"cacheID {p['cacheID']} handed out twice: {seen[p['cacheID']]!r} and " \
                f"{p['message']!r}"
        texts = [p["message"] for p in f.chats()]
        assert len(texts) == len(set(texts)), f"{f.name} received a message twice"
    after = {cid: t for cid, t in seen.items() if t not in delivered_before}
    reused = sorted(cid for cid in after if cid <= before_max)
    assert not reused, f"cacheIDs handed out after the restart are not above {before_max} " \
                       f"(the highest before it): {[(c, after[c]) for c in reused[:10]]}"

    refused: set[str] = set()
    for w, f in zip(writers, (fw1, fw2)):
        for p in f.errors():
            assert p.get("code") == "unavailable", f"unexpected error during the outage: {p}"
            assert p.get("ref") in w.sent, f"error without the ref of a message sent: {p}"
            refused.add(p["ref"])
        # Each message got an answer: delivered back to its sender, or refused.
        own = set(by_text(f))
        silent = [t for t in w.sent if t not in own and t not in refused]
        assert not silent, f"{len(silent)} of {w.prefix}'s messages were neither delivered " \
                           f"nor refused: {silent[:10]}"
    assert refused, "no message was refused during the outage"
    delivered = set(seen.values())
    assert not refused & delivered, f"refused messages were delivered: {refused & delivered}"
    for f in (fr1, fr2):
        assert f.errors() == [], f"{f.name} got errors though it sent nothing: {f.errors()}"
    for n in (a, b):
        assert n.proc.poll() is None
    # Every accepted message reached every client, on both instances.
    for f in feeds:
        missed = sorted(delivered - set(by_text(f)))
        assert not missed, f"{f.name} missed {len(missed)} messages others received: " \
                           f"{missed[:10]}"

    rows = await wait_stored(pg.url, after, 20)
    check_stored_once(rows, seen, after, refused)
    undelivered = sorted(m for _, _, m in rows if m not in delivered)
    assert not undelivered, f"{len(undelivered)} messages were accepted and stored but never " \
                            f"delivered to anyone (their sender got no answer): " \
                            f"{undelivered[:10]}"
    deadline = time.monotonic() + 20
    while True:
        private = psql_rows(pg.url, "SELECT cache_id, message FROM private_messages "
                                    "ORDER BY cache_id")
        if "private after" in {m for _, m in private}:
            break
        assert time.monotonic() < deadline, f"the whisper after the restart is not stored: " \
                                            f"{private}"
        await asyncio.sleep(0.5)
    assert len({m for _, m in private}) == len(private), f"a whisper stored twice: {private}"

    # A client returning with ?since= after the restart misses nothing that was kept, though
    # Valkey's recent-message cache started empty again.
    stored_ids = [c for c, _, _ in rows]
    since = stored_ids[len(stored_ids) // 4]
    for home in (a, b):
        back = await join(home, idp, r1, since=since)
        bulk = back.seq("bulk_chat_messages")
        assert bulk is not None, f"no replay since {since} on port {home.port}: {back.types}"
        replayed = [m["cacheID"] for m in bulk["payload"]["messages"]]
        assert replayed == sorted(set(replayed)), f"replay out of order: {replayed}"
        # Everything kept after `since` comes back; beyond that only what clients were given
        # (messages lost with Valkey's queue but still known to the instance may come too).
        missing = sorted(c for c in stored_ids if c > since and c not in replayed)
        unknown = sorted(c for c in replayed if c <= since or c not in seen)
        assert not missing and not unknown, \
            f"replay since {since} on port {home.port} after Valkey's restart: stored but " \
            f"not replayed {missing[:10]}, never delivered or not after {since}: {unknown[:10]}"
        texts = {m["cacheID"]: m["message"] for m in bulk["payload"]["messages"]}
        assert all(seen[c] == t for c, t in texts.items()), "replayed with another text"
        await back.close()
    # What clients were given before Valkey died is stored too, though it may have been in
    # Valkey's flush queue only: the instances that delivered it queue it again on reconnecting.
    given = sorted(c for c, t in seen.items() if t in delivered_before)
    deadline = time.monotonic() + 20
    while True:
        stored_ids = {int(c) for c, _ in psql_rows(pg.url, "SELECT cache_id, message FROM "
                                                           "chat_messages")}
        lost = [c for c in given if c not in stored_ids]
        if not lost:
            break
        assert time.monotonic() < deadline, \
            f"{len(lost)} of {len(given)} messages delivered before the outage were never " \
            f"stored: {lost[:10]}"
        await asyncio.sleep(0.5)


@pytest.mark.timeout(60)
async def test_readyz_follows_valkey(cluster, valkey):
    """/readyz says cache_unavailable while Valkey is down (so a proxy stops sending new
    connections) and is ready again once natter has reconnected and resubscribed."""
    a, = cluster(1)

    async def readiness():
        status, _, body = await asyncio.to_thread(http_request, a.port, "GET", "/readyz",
                                                  timeout=5)
        return status, body

    assert (await readiness())[0] == 200
    valkey.kill()
    deadline = time.monotonic() + 5
    while True:
        status, body = await readiness()
        if status == 503:
            break
        assert time.monotonic() < deadline, "/readyz still 200 5 s after Valkey died"
        await asyncio.sleep(0.2)
    assert b"cache_unavailable" in body, body
    valkey.start()
    deadline = time.monotonic() + 10
    while (await readiness())[0] != 200:
        assert time.monotonic() < deadline, "/readyz not ready 10 s after Valkey came back"
        await asyncio.sleep(0.2)


async def test_readyz_stays_ready_while_the_shared_store_is_down(cluster, idp, pg):
    """With Valkey, PostgreSQL is shared by every instance and chat goes on through Valkey's
    flush queue: a store outage is `degraded`, still 200, so a proxy does not drop every
    instance at once; connected users keep chatting, and what they said is stored once the
    store is back."""
    a, b = cluster(2)
    alice, bob = make_user("alice"), make_user("bob")
    ca = Feed(await join(a, idp, alice))
    cb = Feed(await join(b, idp, bob))
    pg.stop()
    try:
        for natter in (a, b):
            deadline = time.monotonic() + 10
            while True:
                status, _, body = await asyncio.to_thread(http_request, natter.port, "GET",
                                                          "/readyz", timeout=5)
                doc = json.loads(body)
                if doc.get("degraded"):
                    break
                assert time.monotonic() < deadline, doc
                await asyncio.sleep(0.2)
            assert (status, doc) == (200, {"status": "ready", "degraded": ["store_unavailable"]})
        await ca.client.chat("while the store is down")
        await cb.find(is_chat("while the store is down"), 10, "the message sent meanwhile")
    finally:
        pg.start()
    deadline = time.monotonic() + 20
    while not any(text == "while the store is down" for _, _, text in stored_public(pg.url)):
        assert time.monotonic() < deadline, "not stored after the store came back"
        await asyncio.sleep(0.3)
    status, _, body = await asyncio.to_thread(http_request, a.port, "GET", "/readyz", timeout=5)
    assert (status, json.loads(body)) == (200, {"status": "ready"})


@pytest.mark.timeout(60)
async def test_rate_limit_setting_outlives_a_valkey_restart(cluster, idp, valkey):
    """The limit set through the REST API lasts in the store: a Valkey that lost its data does
    not bring back the start-up default."""
    a, b = cluster(2, "--rate-limit", "1000/60")
    alice, root = make_user("alice"), make_user("root", admin=True)
    status, doc = rest(a, "PATCH", "/ratelimits", idp.token(root),
                       {"id": 1, "message_limit": 3, "window_seconds": 60})
    assert status == 200, doc
    await asyncio.sleep(1.0)  # in force on every instance within a second
    valkey.kill()
    await asyncio.sleep(1.0)
    valkey.start()
    # Chat works again once a prober's message is delivered, or refused for its rate (whatever
    # happened to its earlier tries: the restart itself is test_valkey_restart_under_load's).
    prober = Feed(await join(b, idp, make_user("prober")))
    deadline = time.monotonic() + 12
    k = 0
    while not (prober.chats() or any(e["code"] == "rate_limited" for e in prober.errors())):
        assert time.monotonic() < deadline, "chat did not recover after Valkey's restart"
        await prober.client.chat(f"probe-{k}", ref=f"probe-{k}")
        k += 1
        await asyncio.sleep(0.3)
    fa = Feed(await join(b, idp, alice))
    for text in ("first", "second", "third"):
        start = len(fa.messages)
        await fa.client.chat(text, ref=text)
        m = await fa.find(lambda m: m.get("type") in ("chat_message", "error"), 5,
                          f"an answer to alice's {text} message", start)
        assert m["type"] == "chat_message" and m["payload"]["message"] == text, m
    start = len(fa.messages)
    await fa.client.chat("fourth", ref="r4")
    m = await fa.find(lambda m: m.get("type") in ("chat_message", "error"), 5,
                      "an answer to alice's fourth message", start)
    assert m["type"] == "error", \
        f"the limit of 3/60 set before Valkey's restart is not in force after it: {m}"
    check_error(m, "rate_limited", ref="r4")


# --- 7. bad settings ----------------------------------------------------------------------------

BAD_VALKEY = [("env", "not-a-url"), ("env", "http://x"), ("flag", "not-a-url"),
              ("flag", "http://x")]


@pytest.fixture(scope="module")
def shared_pg():
    """One PostgreSQL for the start-up tests, so only the setting under test is wrong."""
    cluster = Postgres(Path(tempfile.mkdtemp(prefix="natter-pg.")))
    yield cluster
    cluster.remove()


def known_settings() -> str:
    """natter --help: a bad value must be refused as a bad value, not as an unknown flag."""
    return run_natter(["--help"]).stdout


@pytest.mark.parametrize("how,value", BAD_VALKEY, ids=[f"{h}:{v}" for h, v in BAD_VALKEY])
def test_bad_valkey_url_stops_startup(idp, shared_pg, how, value):
    assert "--valkey-url" in known_settings(), "natter --help does not list --valkey-url"
    args = ["--listen", f"127.0.0.1:{free_port()}", "--jwks-url", idp.jwks_url,
            "--oidc-issuer", idp.issuer, "--threads", "2", "--database-url", shared_pg.url]
    env = {}
    if how == "env":
        env["NATTER_VALKEY_URL"] = value
    else:
        args += ["--valkey-url", value]
    result = run_natter(args, env)
    assert result.returncode == 2, \
        f"exit code {result.returncode}, expected 2; stderr: {result.stderr!r}"
    one_line_naming(result.stderr, "valkey-url")
    assert "NATTER_VALKEY_URL" in result.stderr, result.stderr


@pytest.mark.parametrize("value", ["soon", "-3"])
def test_bad_presence_timeout_stops_startup(idp, shared_pg, value):
    assert "--presence-timeout" in known_settings(), \
        "natter --help does not list --presence-timeout"
    args = ["--listen", f"127.0.0.1:{free_port()}", "--jwks-url", idp.jwks_url,
            "--oidc-issuer", idp.issuer, "--threads", "2", "--database-url", shared_pg.url,
            "--valkey-url", "redis://127.0.0.1:1", "--presence-timeout", value]
    result = run_natter(args)
    assert result.returncode == 2, \
        f"exit code {result.returncode}, expected 2; stderr: {result.stderr!r}"
    one_line_naming(result.stderr, "presence-timeout")


def one_line_naming(stderr: str, setting: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {stderr!r}"
    assert re.search(setting.replace("-", "[-_]"), lines[0], re.IGNORECASE), \
        f"stderr does not name {setting}: {lines[0]!r}"
