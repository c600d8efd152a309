"""Chatting: public and private messages, presence, several tabs, the admin dashboard and
reconnect recovery with ?since=."""

import asyncio
import time

from natter_e2e import (RawWebSocket, check_chat_message, check_envelope,
                        check_private_message, check_chat_payload, join, make_user)


async def test_public_message_reaches_everyone(natter, idp):
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    await a.chat("hello everyone")
    pa = check_chat_message(await a.recv(), alice, "hello everyone")
    pb = check_chat_message(await b.recv(), alice, "hello everyone")
    assert pa == pb
    await a.no_message(0.3)
    await b.no_message(0.3)
    await a.close()
    await b.close()


async def test_text_is_kept_exactly(start_natter, idp):
    natter = start_natter("--rate-limit", "100/60")
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    texts = ["héllo wörld ✓ 👋", "line one\nline two\tand a tab", 'quotes " and \\ backslash',
             "  leading and trailing spaces  ", "</script><b>not html</b>", "{\"json\": 1}",
             "x" * 4096]
    for t in texts:
        await a.chat(t)
    for t in texts:
        check_chat_message(await b.recv(), alice, t)
    await a.close()
    await b.close()


async def test_message_to_another_channel(start_natter, idp):
    natter = start_natter("--channels", "general,random")
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    await b.chat("over here", "random")
    check_chat_message(await a.recv(), bob, "over here", "random")
    check_chat_message(await b.recv(), bob, "over here", "random")
    await a.close()
    await b.close()


async def test_cache_ids_increase_in_one_order_for_everyone(start_natter, idp):
    natter = start_natter("--rate-limit", "1000/60")
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    c = await join(natter, idp, carol)
    await a.expect_status(bob, True)
    await a.expect_status(carol, True)
    await b.expect_status(carol, True)
    n = 30

    async def send_all(client, prefix):
        for i in range(n):
            await client.chat(f"{prefix}-{i}")

    async def receive_all(client):
        got = []
        for _ in range(2 * n):
            m = await client.recv()
            assert m["type"] == "chat_message", m
            got.append((m["payload"]["cacheID"], m["payload"]["message"]))
        return got

    receivers = [asyncio.create_task(receive_all(x)) for x in (a, b, c)]
    await asyncio.gather(send_all(a, "a"), send_all(b, "b"))
    seen = await asyncio.gather(*receivers)
    assert seen[0] == seen[1] == seen[2], "clients saw different orders"
    ids = [cid for cid, _ in seen[0]]
    assert all(x < y for x, y in zip(ids, ids[1:])), f"cacheIDs not strictly increasing: {ids}"
    texts = [t for _, t in seen[0]]
    assert [t for t in texts if t.startswith("a-")] == [f"a-{i}" for i in range(n)]
    assert [t for t in texts if t.startswith("b-")] == [f"b-{i}" for i in range(n)]
    for x in (a, b, c):
        await x.close()


async def test_private_message_goes_to_both_users_only(natter, idp):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    a1 = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    c = await join(natter, idp, carol)
    a2 = await join(natter, idp, alice)  # alice's second tab
    b2 = await join(natter, idp, bob)    # and bob's
    # presence noise: a1 saw bob and carol; b saw carol
    await a1.expect_status(bob, True)
    await a1.expect_status(carol, True)
    await b.expect_status(carol, True)

    await a1.whisper(bob, "just between us")
    got = [check_private_message(await x.recv(), alice, bob, "just between us")
           for x in (a1, a2, b, b2)]
    assert all(g == got[0] for g in got)
    await c.no_message(0.5)
    for x in (a1, a2, b, b2, c):
        await x.close()


async def test_private_message_to_offline_known_user_is_delivered_on_connect(natter, idp):
    alice, bob = make_user("alice"), make_user("bob")
    b = await join(natter, idp, bob)
    await b.close()
    a = await join(natter, idp, alice)
    await a.whisper(bob, "read this later")
    sent = check_private_message(await a.recv(), alice, bob, "read this later")
    b = await join(natter, idp, bob)
    assert b.types == ["active_channels", "bulk_private_messages", "connected_users"]
    msgs = check_envelope(b.sequence[1], "bulk_private_messages")["messages"]
    assert msgs == [sent]
    await a.close()
    await b.close()


async def test_presence_online_and_offline(natter, idp):
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    users = check_envelope(b.sequence[-1], "connected_users")["users"]
    assert sorted(users, key=lambda u: u["username"]) == [alice.status(True), bob.status(True)]
    await a.expect_status(bob, True)
    await b.close()
    await a.expect_status(bob, False)
    await a.no_message(0.3)
    carol = await join(natter, idp, make_user("carol"))
    assert [u["username"] for u in carol.seq("connected_users")["payload"]["users"]] \
        .count("bob") == 0
    await a.close()
    await carol.close()


async def test_second_tab_announces_nothing(natter, idp):
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b1 = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    b2 = await join(natter, idp, bob)
    users = b2.seq("connected_users")["payload"]["users"]
    assert sorted(users, key=lambda u: u["username"]) == [alice.status(True), bob.status(True)], \
        "each user listed once, however many tabs"
    await a.no_message(0.5)
    await b1.close()
    await a.no_message(0.5)  # bob still has a tab open
    await b2.ping()
    await b2.close()
    await a.expect_status(bob, False)
    await a.close()


async def test_dashboard_is_silent_and_unlisted_but_receives_chat(natter, idp):
    alice, admin = make_user("alice"), make_user("root", dashboard=True, admin=True)
    a = await join(natter, idp, alice)
    d = await join(natter, idp, admin)
    assert d.types == ["active_channels", "connected_users"]
    assert d.seq("connected_users")["payload"]["users"] == [alice.status(True)]
    await a.no_message(0.5)

    bob = make_user("bob")
    b = await join(natter, idp, bob)
    users = b.seq("connected_users")["payload"]["users"]
    assert sorted(users, key=lambda u: u["username"]) == [alice.status(True), bob.status(True)]
    await a.expect_status(bob, True)
    assert check_envelope(await d.recv_type("user_status"), "user_status") == bob.status(True)

    await a.chat("hello dashboard")
    check_chat_message(await d.recv_type("chat_message"), alice, "hello dashboard")
    check_chat_message(await a.recv(), alice, "hello dashboard")
    check_chat_message(await b.recv(), alice, "hello dashboard")

    await d.close()
    await a.no_message(0.5)
    await b.no_message(0.5)
    await a.close()
    await b.close()


async def test_dashboard_client_setting(start_natter, idp):
    natter = start_natter("--dashboard-client", "AdminConsole")
    alice = make_user("alice")
    a = await join(natter, idp, alice)
    # WebClient is an ordinary client now...
    w = await join(natter, idp, make_user("webby", azp="WebClient"))
    assert "webby" in [u["username"] for u in w.seq("connected_users")["payload"]["users"]]
    assert (await a.recv())["payload"]["username"] == "webby"
    # ...and AdminConsole is the dashboard.
    d = await join(natter, idp, make_user("console", azp="AdminConsole", admin=True))
    assert "console" not in [u["username"] for u in d.seq("connected_users")["payload"]["users"]]
    await a.no_message(0.5)
    for x in (a, w, d):
        await x.close()


async def test_since_replays_only_newer_messages(start_natter, idp):
    natter = start_natter("--rate-limit", "100/60")
    alice = make_user("alice")
    a = await join(natter, idp, alice)
    ids = []
    for i in range(5):
        await a.chat(f"m{i}")
        ids.append((await a.recv_type("chat_message"))["payload"]["cacheID"])

    bob = make_user("bob")
    full = await join(natter, idp, bob)
    msgs = full.seq("bulk_chat_messages")["payload"]["messages"]
    assert [m["message"] for m in msgs] == [f"m{i}" for i in range(5)]
    assert [m["cacheID"] for m in msgs] == ids
    for i, m in enumerate(msgs):
        check_chat_payload(m, alice, f"m{i}")
    await full.close()

    partial = await join(natter, idp, bob, since=ids[2])
    assert partial.types == ["active_channels", "bulk_chat_messages", "connected_users"]
    msgs = partial.seq("bulk_chat_messages")["payload"]["messages"]
    assert [m["cacheID"] for m in msgs] == ids[3:]
    assert [m["message"] for m in msgs] == ["m3", "m4"]
    await partial.close()

    nothing_new = await join(natter, idp, bob, since=ids[4])
    assert nothing_new.types == ["active_channels", "connected_users"]
    await nothing_new.close()

    everything = await join(natter, idp, bob, since=0)
    assert [m["cacheID"] for m in everything.seq("bulk_chat_messages")["payload"]["messages"]] \
        == ids
    await everything.close()
    await a.close()


async def test_application_ping(natter, idp):
    a = await join(natter, idp, make_user("alice"))
    for _ in range(3):
        await a.ping()
    await a.close()


async def test_history_keeps_the_latest_500_oldest_first(start_natter, idp):
    natter = start_natter("--rate-limit", "100000/1", "--max-messages-per-second", "100000")
    alice = make_user("alice")
    a = await join(natter, idp, alice)
    total = 520
    for i in range(total):
        await a.chat(f"h{i}")
    ids = [(await a.recv_type("chat_message"))["payload"]["cacheID"] for _ in range(total)]
    b = await join(natter, idp, make_user("bob"))
    msgs = b.seq("bulk_chat_messages")["payload"]["messages"]
    assert len(msgs) == 500
    assert [m["message"] for m in msgs] == [f"h{i}" for i in range(total - 500, total)]
    assert [m["cacheID"] for m in msgs] == ids[-500:]
    await a.close()
    await b.close()


async def test_many_clients_at_once(natter, idp):
    users = [make_user(f"user{i:02d}") for i in range(40)]
    # max_queue=None: a client that is not being read must not stall its own closing handshake
    clients = await asyncio.gather(*(join(natter, idp, u, max_queue=None) for u in users))
    # whoever connected last saw everyone
    everyone = sorted(u.sub for u in users)
    listed = [sorted(x["id"] for x in c.seq("connected_users")["payload"]["users"])
              for c in clients]
    assert max(len(ids) for ids in listed) == 40
    assert all(set(ids) <= set(everyone) for ids in listed)
    # drain presence; every client ends up having heard of every other user exactly once, one
    # user_status each, or a connected_users list in place of a burst of them
    for c, ids in zip(clients, listed):
        heard = set(ids)
        while len(heard) < 40:
            msg = await c.recv(5)
            if msg["type"] == "connected_users":
                now = {u["id"] for u in check_envelope(msg, "connected_users")["users"]}
                assert heard < now, "a list that shows no one new"
                heard = now
                continue
            p = check_envelope(msg, "user_status")
            assert p["status"] is True and p["id"] not in heard, p
            heard.add(p["id"])
        assert heard == set(everyone)
    await clients[7].chat("to all forty")
    for c in clients:
        check_chat_message(await c.recv(), users[7], "to all forty")
    for c in clients[1:]:
        await c.close()
    online = set(everyone)
    while online != {users[0].sub}:
        msg = await clients[0].recv(5)
        if msg["type"] == "connected_users":
            now = {u["id"] for u in check_envelope(msg, "connected_users")["users"]}
            assert now < online, "a list that shows no one gone"
            online = now
            continue
        p = check_envelope(msg, "user_status")
        assert p["status"] is False and p["id"] in online, p
        online.discard(p["id"])
    await clients[0].close()


async def _post(natter, idp, n):
    alice = make_user("alice")
    a = await join(natter, idp, alice)
    for i in range(n):
        await a.chat(f"r{i}")
    ids = [(await a.recv_type("chat_message"))["payload"]["cacheID"] for _ in range(n)]
    await a.close()
    return ids


async def test_since_replays_everything_after_it_beyond_the_cache(start_natter, idp):
    """800 messages (the cache holds 500): since=100 replays 101..800, every one, from the
    store and the cache, with no truncated_before."""
    natter = start_natter("--rate-limit", "100000/1", "--max-messages-per-second", "100000")
    ids = await _post(natter, idp, 800)
    assert ids == list(range(ids[0], ids[0] + 800))
    back = await join(natter, idp, make_user("bob"), since=ids[99])
    payload = back.seq("bulk_chat_messages")["payload"]
    assert [m["cacheID"] for m in payload["messages"]] == ids[100:]
    assert "truncated_before" not in payload
    everything = await join(natter, idp, make_user("carol"), since=0)
    assert [m["cacheID"] for m in everything.seq("bulk_chat_messages")["payload"]["messages"]] \
        == ids
    plain = await join(natter, idp, make_user("dave"))  # without since: the recent 500
    assert [m["cacheID"] for m in plain.seq("bulk_chat_messages")["payload"]["messages"]] \
        == ids[300:]


async def test_replay_cut_by_max_replay_says_truncated_before(start_natter, idp):
    natter = start_natter("--rate-limit", "100000/1", "--max-messages-per-second", "100000",
                          env={"NATTER_MAX_REPLAY": "300"})
    ids = await _post(natter, idp, 800)
    back = await join(natter, idp, make_user("bob"), since=ids[99])
    payload = back.seq("bulk_chat_messages")["payload"]
    assert [m["cacheID"] for m in payload["messages"]] == ids[500:]
    assert payload["truncated_before"] == ids[500]
    # served from the cache alone, the bound cuts the same way
    recent = await join(natter, idp, make_user("carol"), since=ids[399])
    payload = recent.seq("bulk_chat_messages")["payload"]
    assert [m["cacheID"] for m in payload["messages"]] == ids[500:]
    assert payload["truncated_before"] == ids[500]


async def test_reconnect_before_closing_the_old_connection_does_not_flicker(natter, idp):
    """A user who opens a new connection and then closes the old one, 20 times: an observer
    never sees them go offline."""
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    old = RawWebSocket(natter.port, "/ws?token=" + idp.token(bob))
    await a.expect_status(bob, True)
    for _ in range(20):
        new = RawWebSocket(natter.port, "/ws?token=" + idp.token(bob))  # returns at its 101
        old.close()
        old = new
    await asyncio.sleep(0.5)
    seen = []
    while True:
        try:
            seen.append(await a.recv(0.3))
        except AssertionError:
            break
    flicker = [m for m in seen if m["type"] == "user_status" and m["payload"]["id"] == bob.sub
               and not m["payload"]["status"]]
    assert not flicker, f"bob was shown offline {len(flicker)} times while reconnecting"
    old.close()
    await a.expect_status(bob, False)


async def test_replay_store_reads_are_paced_across_a_reconnect_storm(start_natter, idp):
    """30 clients returning at once with since=0 after 800 messages (two store pages each):
    natter reads 20 pages a second for replays (10 at once), so the storm is spread over
    seconds, and every client still gets its whole replay."""
    natter = start_natter("--rate-limit", "100000/1", "--max-messages-per-second", "100000")
    ids = await _post(natter, idp, 800)
    started = time.monotonic()
    back = await asyncio.gather(*(join(natter, idp, make_user(f"r{i}"), since=0)
                                  for i in range(30)))
    took = time.monotonic() - started
    for c in back:
        assert [m["cacheID"] for m in c.seq("bulk_chat_messages")["payload"]["messages"]] == ids
    assert took >= 2, f"60 store pages of replay read in {took:.2f}s: not paced"
