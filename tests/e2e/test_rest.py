"""The REST API (PROTOCOL.md section 5) from outside: every route and method with an admin
token, a plain user's token, no token and a forged one; response bodies field by field; bad
input refused with a JSON error and nothing changed; effects on live WebSocket connections;
CORS, 405 with Allow, 413. The main route tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest

from natter_e2e import (check_envelope, check_timestamp, http_request, join, make_user,
                        wait_closed)
from test_durability import Postgres

FAST = ("--rate-limit", "1000000/1", "--max-messages-per-second", "100000")
ERROR_KEYS = {"error"}


@pytest.fixture(params=["sqlite", "postgres"])
def store_args(request):
    """Extra natter arguments choosing the store: SQLite (the default) or a fresh PostgreSQL."""
    if request.param == "sqlite":
        yield []
        return
    pg = Postgres(Path(tempfile.mkdtemp(prefix="natter-pg.")))
    yield ["--database-url", pg.url]
    pg.remove()


@pytest.fixture
def server(store_args, start_natter):
    return start_natter(*store_args, *FAST)


class Api:
    """A REST client for one natter: call() returns (status, lower-case headers, JSON or None)."""

    def __init__(self, natter, token: str | None):
        self.port = natter.port
        self.token = token

    def call(self, method: str, path: str, body=None, *, token: str | None = "default",
             headers: dict | None = None, raw: bytes | None = None, timeout: float = 15):
        hdrs = dict(headers or {})
        token = self.token if token == "default" else token
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        status, resp_headers, payload = http_request(self.port, method, path, headers=hdrs,
                                                     body=data, timeout=timeout)
        doc = json.loads(payload) if payload else None
        return status, resp_headers, doc


def check_error(status: int, doc, expected_status: int, code: str | None = None) -> None:
    assert status == expected_status, (status, doc)
    assert isinstance(doc, dict) and set(doc) == ERROR_KEYS, doc
    err = doc["error"]
    assert set(err) == {"code", "message"}, err
    assert isinstance(err["code"], str) and isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, err


def channel_names(doc) -> list[str]:
    return [c["name"] for c in doc["channels"]]


def check_channel(c: dict) -> None:
    assert {"id", "name"} <= set(c) <= {"id", "name", "description", "sort_order"}, c
    assert isinstance(c["id"], int) and isinstance(c["name"], str), c
    if "description" in c:
        assert isinstance(c["description"], str) and c["description"], c
    if "sort_order" in c:
        assert isinstance(c["sort_order"], int) and c["sort_order"] != 0, c


# Every route and method, with a body or query that is valid for an admin.
ROUTES = [
    ("GET", "/channels", None),
    ("POST", "/channels", {"name": "matrix"}),
    ("PATCH", "/channels", {"id": 1, "description": "the first"}),
    ("DELETE", "/channels?id=999999", None),
    ("GET", "/messages", None),
    ("DELETE", "/messages", {"ids": [999999]}),
    ("GET", "/users?username=a", None),
    ("POST", "/users/ban", {"banished_id": "nobody"}),
    ("DELETE", "/users/ban?ban_id=999999", None),
    ("GET", "/users/bans", None),
    ("GET", "/activity/sessions", None),
    ("GET", "/activity/channels", None),
    ("GET", "/ratelimits", None),
    ("PATCH", "/ratelimits", {"id": 1, "message_limit": 1000000, "window_seconds": 1}),
]


def test_every_route_checks_the_token_and_the_role(server, idp, keys):
    admin, user = make_user("root", admin=True), make_user("plain")
    api = Api(server, None)
    forged = keys["rogue"].sign(idp.claims(admin))  # right kid, wrong key
    expired = idp.token(admin, exp_in=-3600)
    for method, path, body in ROUTES:
        where = f"{method} {path}"
        status, headers, doc = api.call(method, path, body)
        check_error(status, doc, 401, "unauthorized")
        assert headers.get("www-authenticate") == "Bearer", where
        for bad in (forged, expired, "not.a.jwt"):
            status, _, doc = api.call(method, path, body, token=bad)
            check_error(status, doc, 401, "unauthorized")
        status, _, doc = api.call(method, path, body, headers={"Authorization": "Basic eDp5"})
        check_error(status, doc, 401, "unauthorized")
        status, _, doc = api.call(method, path, body, token=idp.token(user))
        if (method, path) == ("GET", "/channels"):
            assert status == 200, (where, doc)
        else:
            check_error(status, doc, 403, "forbidden")
        status, _, doc = api.call(method, path, body, token=idp.token(admin))
        assert status in (200, 201, 204, 404), (where, status, doc)
        if status == 404:
            check_error(status, doc, 404, "not_found")


async def test_channels_crud_reaches_live_connections(server, idp):
    admin, alice = make_user("root", admin=True), make_user("alice")
    api = Api(server, idp.token(admin))
    a = await join(server, idp, alice)

    status, _, doc = api.call("GET", "/channels", token=idp.token(alice))
    assert status == 200 and set(doc) == {"channels"}, doc
    assert channel_names(doc) == ["general"]
    for c in doc["channels"]:
        check_channel(c)

    status, _, doc = api.call("POST", "/channels", {"name": "random", "description": "misc"})
    assert (status, doc) == (201, {"message": "Channel created", "name": "random"})
    p = check_envelope(await a.recv_type("active_channels"), "active_channels")
    assert [c["name"] for c in p["channels"]] == ["general", "random"], p
    random = p["channels"][1]
    assert random["description"] == "misc", random
    check_channel(random)

    status, _, doc = api.call("POST", "/channels", {"name": "random"})
    check_error(status, doc, 409, "conflict")
    status, _, doc = api.call("POST", "/channels", {"name": "quiet"})
    assert status == 201
    await a.recv_type("active_channels")

    status, _, doc = api.call("PATCH", "/channels", {"id": random["id"], "name": "offtopic"})
    assert (status, doc) == (200, {"message": "Channel updated"})
    p = check_envelope(await a.recv_type("active_channels"), "active_channels")
    assert [c["name"] for c in p["channels"]] == ["general", "offtopic", "quiet"], p
    assert p["channels"][1]["description"] == "misc"

    status, _, doc = api.call("PATCH", "/channels", {"id": random["id"], "description": "talk"})
    assert (status, doc) == (200, {"message": "Channel updated"})
    p = check_envelope(await a.recv_type("active_channels"), "active_channels")
    assert p["channels"][1] == {**p["channels"][1], "name": "offtopic", "description": "talk"}

    status, _, doc = api.call("PATCH", "/channels", {"id": random["id"], "before_id": 1})
    assert (status, doc) == (200, {"message": "Channel reordered"})
    p = check_envelope(await a.recv_type("active_channels"), "active_channels")
    assert [c["name"] for c in p["channels"]] == ["offtopic", "general", "quiet"], p
    status, _, doc = api.call("PATCH", "/channels", {"id": random["id"], "before_id": None})
    assert (status, doc) == (200, {"message": "Channel reordered"})
    p = check_envelope(await a.recv_type("active_channels"), "active_channels")
    assert [c["name"] for c in p["channels"]] == ["general", "quiet", "offtopic"], p

    status, _, doc = api.call("PATCH", "/channels", {"id": random["id"], "name": "quiet"})
    check_error(status, doc, 409, "conflict")
    for body in ({"id": 999999, "name": "x"}, {"id": 999999, "before_id": None},
                 {"id": random["id"], "before_id": 999999}):
        status, _, doc = api.call("PATCH", "/channels", body)
        check_error(status, doc, 404, "not_found")

    status, _, doc = api.call("DELETE", f"/channels?id={random['id']}&purge=true")
    assert (status, doc) == (200, {"message": "Channel deleted"})
    p = check_envelope(await a.recv_type("active_channels"), "active_channels")
    assert [c["name"] for c in p["channels"]] == ["general", "quiet"], p
    status, _, doc = api.call("DELETE", f"/channels?id={random['id']}")
    check_error(status, doc, 404, "not_found")

    # A client can chat in a channel created over REST.
    await a.chat("hello quiet", channel="quiet")
    m = await a.recv_type("chat_message")
    assert m["payload"]["channel"] == "quiet"
    status, _, doc = api.call("GET", "/channels")
    assert channel_names(doc) == ["general", "quiet"]


BAD_CHANNEL_REQUESTS = [
    ("POST", "/channels", None, b"{not json"),
    ("POST", "/channels", None, b"[1,2]"),
    ("POST", "/channels", None, b""),
    ("POST", "/channels", {}, None),
    ("POST", "/channels", {"name": 5}, None),
    ("POST", "/channels", {"name": ""}, None),
    ("POST", "/channels", {"name": "x" * 65}, None),
    ("POST", "/channels", {"name": "é" * 33}, None),  # 66 bytes
    ("POST", "/channels", {"name": "a\u0007b"}, None),
    ("POST", "/channels", {"name": "ok", "description": 3}, None),
    ("POST", "/channels", {"name": "ok", "description": "d" * 513}, None),
    ("PATCH", "/channels", {"name": "x"}, None),
    ("PATCH", "/channels", {"id": "1", "name": "x"}, None),
    ("PATCH", "/channels", {"id": 1.5, "name": "x"}, None),
    ("PATCH", "/channels", {"id": True, "name": "x"}, None),
    ("PATCH", "/channels", {"id": 1}, None),
    ("PATCH", "/channels", {"id": 1, "name": "x" * 65}, None),
    ("PATCH", "/channels", {"id": 1, "before_id": "2"}, None),
    ("PATCH", "/channels", {"id": 1, "before_id": None, "name": "x"}, None),
    ("DELETE", "/channels", None, None),
    ("DELETE", "/channels?id=abc", None, None),
    ("DELETE", "/channels?id=1&purge=maybe", None, None),
]


def test_bad_channel_input_changes_nothing(start_natter, idp):
    natter = start_natter()
    api = Api(natter, idp.token(make_user("root", admin=True)))
    before = api.call("GET", "/channels")[2]
    for method, path, body, raw in BAD_CHANNEL_REQUESTS:
        status, _, doc = api.call(method, path, body, raw=raw)
        check_error(status, doc, 400)
        assert doc["error"]["code"] == "bad_request", (method, path, body, raw, doc)
    assert api.call("GET", "/channels")[2] == before
    status, _, doc = api.call("POST", "/channels", {"name": "x" * 64})
    assert status == 201, doc


async def test_message_search_and_delete(server, idp):
    admin, alice, bob = make_user("root", admin=True), make_user("alice"), make_user("bob")
    api = Api(server, idp.token(admin))
    assert api.call("POST", "/channels", {"name": "random"})[0] == 201
    a = await join(server, idp, alice)
    b = await join(server, idp, bob)
    await a.recv_type("user_status")
    sent = [(a, "general", "the quick brown fox"), (b, "general", "lazy dogs sleep"),
            (a, "random", "a brown paper bag"), (b, "random", "nothing to see"),
            (a, "general", "brown bread")]
    live = []
    for client, channel, text in sent:
        await client.chat(text, channel=channel)
        live.append((await a.recv_type("chat_message"))["payload"])
        await b.recv_type("chat_message")
    started = time.time()

    status, _, doc = api.call("GET", "/messages")
    assert status == 200
    p = check_envelope(doc, "message_search_result", sender="server")
    assert set(p) == {"messages", "has_more"} and p["has_more"] is False, p
    msgs = p["messages"]
    assert [m["message"] for m in msgs] == [t for _, _, t in reversed(sent)]  # newest first
    for m, original in zip(msgs, reversed(live)):
        assert set(m) == {"id", "cacheID", "owner_id", "username", "channel", "message",
                          "authored_at"}, m
        assert isinstance(m["id"], int) and not isinstance(m["id"], bool), m
        assert {k: m[k] for k in original} == original, (m, original)
        check_timestamp(m["authored_at"], near=started)

    def search(query: str) -> dict:
        status, _, doc = api.call("GET", "/messages" + query)
        assert status == 200, (query, doc)
        return check_envelope(doc, "message_search_result", sender="server")

    assert [m["message"] for m in search("?keyword=brown")["messages"]] == [
        "brown bread", "a brown paper bag", "the quick brown fox"]
    assert [m["message"] for m in search("?keyword=brown&channel=general")["messages"]] == [
        "brown bread", "the quick brown fox"]
    assert len(search("?channel=general&channel=random")["messages"]) == 5
    assert [m["message"] for m in search("?channel=random")["messages"]] == [
        "nothing to see", "a brown paper bag"]
    assert {m["username"] for m in search(f"?user_id={bob.sub}")["messages"]} == {"bob"}
    assert search("?keyword=zebra")["messages"] == []
    page = search("?limit=2")
    assert len(page["messages"]) == 2 and page["has_more"] is True
    page = search("?limit=2&offset=2")
    assert [m["message"] for m in page["messages"]] == ["a brown paper bag", "lazy dogs sleep"]
    assert page["has_more"] is True
    page = search("?limit=2&offset=4")
    assert len(page["messages"]) == 1 and page["has_more"] is False
    assert len(search("?limit=100000")["messages"]) == 5  # capped, not refused
    assert search("?limit=0")["messages"] == []

    for query in ("?limit=-1", "?offset=-1", "?limit=abc", "?offset=1.5",
                  "?" + "&".join(["channel=general"] * 51), "?channel=" + "x" * 65,
                  "?keyword=" + "k" * 257):
        status, _, doc = api.call("GET", "/messages" + query)
        check_error(status, doc, 400, "bad_request")

    # Delete two: both clients are told at once, the search no longer finds them.
    doomed = [m for m in msgs if "brown" in m["message"]][:2]
    status, _, doc = api.call("DELETE", "/messages", {"ids": [m["id"] for m in doomed]})
    assert (status, doc) == (204, None)
    for client in (a, b):
        p = check_envelope(await client.recv_type("messages_deleted"), "messages_deleted")
        assert sorted(p["cache_ids"]) == sorted(m["cacheID"] for m in doomed), p
    assert len(search("")["messages"]) == 3
    assert [m["message"] for m in search("?keyword=brown")["messages"]] == ["the quick brown fox"]

    status, _, doc = api.call("DELETE", "/messages", {"ids": [m["id"] for m in doomed]})
    check_error(status, doc, 404, "not_found")
    for body in ({}, {"ids": []}, {"ids": "1"}, {"ids": [1, "2"]}, {"ids": [1.5]},
                 {"ids": [True]}, {"ids": list(range(1, 502))}):
        status, _, doc = api.call("DELETE", "/messages", body)
        check_error(status, doc, 400, "bad_request")
    assert len(search("")["messages"]) == 3

    # A newcomer's replay no longer holds the deleted messages (the cache forgot them).
    c = await join(server, idp, make_user("carol"))
    bulk = c.seq("bulk_chat_messages")
    replayed = [m["cacheID"] for m in bulk["payload"]["messages"]] if bulk else []
    assert not set(replayed) & {m["cacheID"] for m in doomed}, replayed
    assert len(replayed) == 3


async def test_users_bans_and_pardons(server, idp):
    admin, alice, bob = make_user("root", admin=True), make_user("alice"), make_user("bob")
    api = Api(server, idp.token(admin))
    a = await join(server, idp, alice)
    b = await join(server, idp, bob)
    await a.recv_type("user_status")

    status, _, doc = api.call("GET", "/users?username=ALI")
    assert status == 200
    p = check_envelope(doc, "user_search_result", sender="server")
    assert p == {"users": [{"id": alice.sub, "username": "alice", "is_banned": False}]}, p
    status, _, doc = api.call("GET", "/users")
    usernames = [u["username"] for u in check_envelope(doc, "user_search_result", "server")["users"]]
    assert usernames == ["alice", "bob"], usernames

    started = time.time()
    status, _, doc = api.call("POST", "/users/ban",
                              {"banished_id": bob.sub, "reason": "spam", "duration": 24})
    assert status == 200, doc
    assert doc == {"message": "User banned successfully", "banished": bob.sub, "reason": "spam",
                   "duration": 24}, doc
    assert await wait_closed(b.ws) == 4003
    await a.expect_status(bob, False)

    status, _, doc = api.call("POST", "/users/ban", {"banished_id": alice.sub})
    assert doc == {"message": "User banned successfully", "banished": alice.sub, "reason": "",
                   "duration": None}, doc
    assert await wait_closed(a.ws) == 4003

    p = check_envelope(api.call("GET", "/users")[2], "user_search_result", "server")
    assert [(u["username"], u["is_banned"]) for u in p["users"]] == [("alice", True),
                                                                      ("bob", True)]

    status, _, doc = api.call("GET", "/users/bans")
    assert status == 200
    p = check_envelope(doc, "ban_records_result", sender="server")
    assert set(p) == {"records", "has_more"} and p["has_more"] is False
    records = {r["banished_id"]: r for r in p["records"]}
    timed, permanent = records[bob.sub], records[alice.sub]
    assert set(timed) == {"id", "owner_id", "banished_id", "banished_username", "reason",
                          "start", "end", "duration", "pardoned"}, timed
    assert isinstance(timed["id"], str) and timed["id"].isdigit(), timed
    assert timed["owner_id"] == admin.sub and timed["banished_username"] == "bob"
    assert timed["reason"] == "spam" and timed["duration"] == "24h"
    assert timed["pardoned"] is False
    check_timestamp(timed["start"], near=started)
    check_timestamp(timed["end"], near=started + 24 * 3600)
    assert set(permanent) == {"id", "owner_id", "banished_id", "banished_username", "start",
                              "pardoned"}, permanent

    status, _, doc = api.call("GET", "/users/bans?limit=1")
    p = check_envelope(doc, "ban_records_result", sender="server")
    assert len(p["records"]) == 1 and p["has_more"] is True
    status, _, doc = api.call("GET", "/users/bans?limit=1&offset=1")
    p2 = check_envelope(doc, "ban_records_result", sender="server")
    assert len(p2["records"]) == 1 and p2["has_more"] is False
    assert p2["records"][0]["id"] != p["records"][0]["id"]

    status, _, doc = api.call("DELETE", f"/users/ban?ban_id={timed['id']}")
    assert (status, doc) == (200, {"message": "User pardoned successfully",
                                   "ban_id": int(timed["id"])}), doc
    b2 = await join(server, idp, bob)
    assert b2.types[-1] == "connected_users"
    p = check_envelope(api.call("GET", "/users/bans")[2], "ban_records_result", "server")
    assert {r["banished_id"]: r["pardoned"] for r in p["records"]} == {bob.sub: True,
                                                                        alice.sub: False}

    status, _, doc = api.call("DELETE", "/users/ban?ban_id=999999")
    check_error(status, doc, 404, "not_found")
    status, _, doc = api.call("POST", "/users/ban", {"banished_id": "never-connected"})
    check_error(status, doc, 404, "not_found")
    for body in ({}, {"banished_id": 5}, {"banished_id": ""}, {"banished_id": bob.sub,
                                                                "duration": -1},
                 {"banished_id": bob.sub, "duration": "24"},
                 {"banished_id": bob.sub, "duration": 10 ** 7},
                 {"banished_id": bob.sub, "reason": 7}, {"banished_id": "x" * 256}):
        status, _, doc = api.call("POST", "/users/ban", body)
        check_error(status, doc, 400, "bad_request")
    for query in ("", "?ban_id=x", "?ban_id="):
        status, _, doc = api.call("DELETE", "/users/ban" + query)
        check_error(status, doc, 400, "bad_request")
    for query in ("?limit=-5", "?offset=-1", "?limit=z"):
        status, _, doc = api.call("GET", "/users/bans" + query)
        check_error(status, doc, 400, "bad_request")
    status, _, doc = api.call("GET", "/users?username=" + "u" * 65)
    check_error(status, doc, 400, "bad_request")
    await b2.ping()  # the bad requests banned nobody


async def test_activity_routes(server, idp):
    admin, alice = make_user("root", admin=True), make_user("alice")
    api = Api(server, idp.token(admin))
    a = await join(server, idp, alice)
    for text in ("one", "two"):
        await a.chat(text)
        await a.recv_type("chat_message")
    await a.close()
    time.sleep(0.3)  # the session's end is recorded off the IO thread

    status, _, doc = api.call("GET", "/activity/sessions")
    assert status == 200
    p = check_envelope(doc, "session_activity")  # sender "Server", as OnRabble
    assert set(p) == {"session_activity"}
    days = p["session_activity"]
    assert len(days) >= 1, days
    today = time.strftime("%Y-%m-%d", time.gmtime())
    for d in days:
        assert set(d) == {"session_date", "session_count", "total_duration"}, d
        assert isinstance(d["session_count"], int)
        h, m, s = d["total_duration"].split(":")
        assert len(h) >= 2 and len(m) == 2 and len(s) == 2, d
    assert [d for d in days if d["session_date"] == today][0]["session_count"] >= 1

    doc = api.call("GET", f"/activity/sessions?user_id={alice.sub}")[2]
    mine = check_envelope(doc, "session_activity")["session_activity"]
    assert [d["session_count"] for d in mine if d["session_date"] == today] == [1], mine
    doc = api.call("GET", "/activity/sessions?user_id=nobody")[2]
    assert sum(d["session_count"] for d in check_envelope(doc, "session_activity")
               ["session_activity"]) == 0

    status, _, doc = api.call("GET", "/activity/channels")
    assert status == 200
    p = check_envelope(doc, "message_count_by_channel")
    assert set(p) == {"channels"}
    for c in p["channels"]:
        assert set(c) == {"channel", "message_count"}, c
    assert {c["channel"]: c["message_count"] for c in p["channels"]}["general"] == 2


async def test_rate_limit_change_is_in_force_at_once(server, idp):
    admin, alice = make_user("root", admin=True), make_user("alice")
    api = Api(server, idp.token(admin))
    status, _, doc = api.call("GET", "/ratelimits")
    assert status == 200
    assert set(doc) == {"rate_limiter"}
    row = doc["rate_limiter"]
    assert set(row) == {"id", "owner_id", "message_limit", "window_seconds"}, row
    assert row["id"] == 1 and isinstance(row["owner_id"], str)

    a = await join(server, idp, alice)
    status, _, doc = api.call("PATCH", "/ratelimits",
                              {"id": 1, "message_limit": 2, "window_seconds": 60})
    assert (status, doc) == (200, {"message": "Rate limit updated"})
    assert api.call("GET", "/ratelimits")[2] == {"rate_limiter": {
        "id": 1, "owner_id": admin.sub, "message_limit": 2, "window_seconds": 60}}
    for text in ("one", "two"):
        await a.chat(text)
        assert (await a.recv())["type"] == "chat_message"
    await a.chat("three")
    refused = await a.recv()
    assert refused["type"] == "error" and refused["payload"]["code"] == "rate_limited", refused

    for body in ({"id": 1, "message_limit": 0, "window_seconds": 60},
                 {"id": 1, "message_limit": 5, "window_seconds": -1},
                 {"id": 1, "message_limit": "5", "window_seconds": 60},
                 {"id": 1, "message_limit": 5}, {"message_limit": 5, "window_seconds": 60},
                 {"id": 1, "message_limit": 5, "window_seconds": 10 ** 9}):
        status, _, doc = api.call("PATCH", "/ratelimits", body)
        check_error(status, doc, 400, "bad_request")
    status, _, doc = api.call("PATCH", "/ratelimits",
                              {"id": 2, "message_limit": 5, "window_seconds": 60})
    check_error(status, doc, 404, "not_found")
    assert api.call("GET", "/ratelimits")[2]["rate_limiter"]["message_limit"] == 2


def test_wrong_method_gets_405_with_allow(natter, idp):
    api = Api(natter, idp.token(make_user("root", admin=True)))
    cases = {"/channels": ("PUT", {"GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"}),
             "/messages": ("POST", {"GET", "HEAD", "DELETE", "OPTIONS"}),
             "/users": ("DELETE", {"GET", "HEAD", "OPTIONS"}),
             "/users/ban": ("GET", {"POST", "DELETE", "OPTIONS"}),
             "/users/bans": ("POST", {"GET", "HEAD", "OPTIONS"}),
             "/activity/sessions": ("PATCH", {"GET", "HEAD", "OPTIONS"}),
             "/activity/channels": ("DELETE", {"GET", "HEAD", "OPTIONS"}),
             "/ratelimits": ("POST", {"GET", "HEAD", "PATCH", "OPTIONS"})}
    for path, (method, allowed) in cases.items():
        for token in ("default", None):
            status, headers, doc = api.call(method, path, token=token)
            check_error(status, doc, 405, "method_not_allowed")
            assert {m.strip() for m in headers["allow"].split(",")} == allowed, headers
    status, headers, body = http_request(natter.port, "HEAD", "/channels",
                                         headers={"Authorization": f"Bearer {api.token}"})
    assert status == 200 and body == b"", (status, body)


def test_cors_preflight_and_responses(start_natter, idp):
    natter = start_natter("--cors-origins", "https://dash.example, http://localhost:5173")
    token = idp.token(make_user("root", admin=True))
    status, headers, body = http_request(natter.port, "OPTIONS", "/users/ban", headers={
        "Origin": "https://dash.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert status == 204 and body == b"", status
    assert headers["access-control-allow-origin"] == "https://dash.example"
    assert {m.strip() for m in headers["access-control-allow-methods"].split(",")} >= {
        "POST", "DELETE"}
    allowed_headers = {h.strip().lower() for h in
                       headers["access-control-allow-headers"].split(",")}
    assert allowed_headers >= {"authorization", "content-type"}
    assert int(headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in headers

    status, headers, _ = http_request(natter.port, "OPTIONS", "/channels",
                                      headers={"Origin": "https://evil.example",
                                               "Access-Control-Request-Method": "DELETE"})
    assert status == 204 and "access-control-allow-origin" not in headers

    status, headers, _ = http_request(natter.port, "GET", "/ratelimits", headers={
        "Origin": "http://localhost:5173", "Authorization": f"Bearer {token}"})
    assert status == 200
    assert headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "origin" in headers["vary"].lower()
    status, headers, _ = http_request(natter.port, "GET", "/ratelimits", headers={
        "Origin": "https://evil.example", "Authorization": f"Bearer {token}"})
    assert status == 200 and "access-control-allow-origin" not in headers
    status, headers, _ = http_request(natter.port, "GET", "/ratelimits",
                                      headers={"Origin": "https://dash.example"})
    assert status == 401 and headers["access-control-allow-origin"] == "https://dash.example"


def test_no_cors_origins_by_default(natter):
    status, headers, _ = http_request(natter.port, "OPTIONS", "/channels",
                                      headers={"Origin": "https://dash.example",
                                               "Access-Control-Request-Method": "GET"})
    assert status == 204
    assert not [h for h in headers if h.startswith("access-control-")], headers


def test_body_over_the_limit_is_413(start_natter, idp):
    natter = start_natter(env={"NATTER_MAX_BODY_BYTES": "2048"})
    api = Api(natter, idp.token(make_user("root", admin=True)))
    status, _, doc = api.call("POST", "/channels", {"name": "big", "description": "d" * 4000})
    check_error(status, doc, 413, "payload_too_large")
    status, _, doc = api.call("DELETE", "/messages", {"ids": list(range(1000, 1400))})
    check_error(status, doc, 413, "payload_too_large")
    assert channel_names(api.call("GET", "/channels")[2]) == ["general"]


def test_rotated_key_is_fetched_for_rest_too(natter, idp, keys):
    admin = make_user("root", admin=True)
    idp.add_key(keys["rsa2"])
    status, _, doc = Api(natter, idp.token(admin, key=keys["rsa2"])).call("GET", "/ratelimits")
    assert status == 200, doc


@pytest.fixture
def pg():
    cluster = Postgres(Path(tempfile.mkdtemp(prefix="natter-pg.")))
    yield cluster
    cluster.remove()


async def test_store_down_answers_503_then_heals(pg, start_natter, idp):
    natter = start_natter("--database-url", pg.url)
    api = Api(natter, idp.token(make_user("root", admin=True)))
    assert api.call("GET", "/channels")[0] == 200
    pg.stop()
    started = time.monotonic()
    status, _, doc = api.call("GET", "/messages")
    check_error(status, doc, 503, "unavailable")
    assert time.monotonic() - started < 7, "the deadline is 5 s"
    status, _, doc = api.call("POST", "/channels", {"name": "later"})
    check_error(status, doc, 503, "unavailable")
    pg.start()
    deadline = time.monotonic() + 20
    while True:
        status, _, doc = api.call("GET", "/channels")
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == 200 and channel_names(doc) == ["general"], doc


def test_a_4_mib_body_is_answered_413_not_reset(start_natter, idp):
    """A standard client that sends its whole body before reading sees the 413 (natter reads
    and drops the rest for a while instead of resetting the connection under it)."""
    natter = start_natter()
    api = Api(natter, idp.token(make_user("root", admin=True)))
    for _ in range(3):
        status, headers, doc = api.call("POST", "/channels", raw=b"x" * (4 << 20),
                                        headers={"Content-Type": "application/json"})
        check_error(status, doc, 413, "payload_too_large")
        assert headers.get("connection") == "close"
