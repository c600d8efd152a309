"""OnRabble's own clients against natter, item by item: what its Qt client reads from
/discovery, its hard-coded `General` channel, its never-refreshed tokens, a refresh signed by a
rotated key, its dashboard's token-less REST calls (NATTER_API_INSECURE), its first-result user
lookup, and private history after a restart of the embedded store."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import pytest

from natter_e2e import (check_chat_message, check_envelope, check_error, http_json,
                        http_request, join, make_user, wait_closed)

FAST = ("--rate-limit", "1000000/1", "--max-messages-per-second", "100000")


def call(natter, method: str, path: str, body=None, token: str | None = None):
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    status, _, payload = http_request(natter.port, method, path, headers=headers, body=data)
    return status, (json.loads(payload) if payload else None)


# --- 1. /discovery in OnRabble's form -----------------------------------------------------------

def test_discovery_serves_onrabbles_scheme_less_urls(start_natter, idp):
    natter = start_natter(env={"KC_HOSTNAME": "auth.example.org", "REALM_NAME": "onrabble",
                               "PUBLIC_HOSTNAME": "example.org",
                               "CHAT_CLIENT_NAME": "ChatClient"})
    status, _, doc = http_json(natter.port, "/discovery")
    assert status == 200
    assert doc["auth_url"] == "auth.example.org/realms/onrabble/protocol/openid-connect/auth"
    assert doc["token_url"] == "auth.example.org/realms/onrabble/protocol/openid-connect/token"
    assert doc["health_url"] == "auth.example.org/health"
    assert doc["chat_url"] == "wss://chat.example.org/ws"
    assert doc["chat_client"] == "ChatClient"
    # The Qt client prepends https:// to these three: the result must be one URL.
    for key in ("auth_url", "token_url", "health_url"):
        assert "://" not in doc[key], doc
    # Full URLs for clients that want them (old clients ignore extra fields).
    assert doc["authorization_endpoint"] == idp.issuer + "/protocol/openid-connect/auth"
    assert doc["token_endpoint"] == idp.issuer + "/protocol/openid-connect/token"
    assert doc["server_health_url"] == "https://chat.example.org/healthz"


def test_discovery_from_natters_own_issuer_setting(start_natter, idp):
    natter = start_natter()  # --oidc-issuer http://127.0.0.1:PORT/realms/natter
    _, _, doc = http_json(natter.port, "/discovery")
    host = f"127.0.0.1:{idp.port}"
    assert doc["auth_url"] == f"{host}/realms/natter/protocol/openid-connect/auth"
    assert doc["token_url"] == f"{host}/realms/natter/protocol/openid-connect/token"
    assert doc["health_url"] == f"{host}/health"
    assert doc["chat_url"] == f"ws://127.0.0.1:{natter.port}/ws"
    assert doc["server_health_url"] == f"http://127.0.0.1:{natter.port}/healthz"


# --- 2. channel names without regard to case ----------------------------------------------------

async def test_general_with_a_capital_g_reaches_general(start_natter, idp):
    natter = start_natter()  # the default channel set: general
    alice, bob, admin = make_user("alice"), make_user("bob"), make_user("root", admin=True)
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.recv_type("user_status")
    await a.chat("hello from the Qt client", channel="General")
    for client in (a, b):
        check_chat_message(await client.recv_type("chat_message"), alice,
                           "hello from the Qt client", channel="general")
    # Stored under the channel's own spelling too.
    status, doc = call(natter, "GET", "/messages?channel=general", token=idp.token(admin))
    assert status == 200
    assert [m["message"] for m in doc["payload"]["messages"]] == ["hello from the Qt client"]
    assert doc["payload"]["messages"][0]["channel"] == "general"

    # A channel that differs only by case cannot be made, by creation or by renaming.
    token = idp.token(admin)
    status, doc = call(natter, "POST", "/channels", {"name": "GENERAL"}, token)
    assert status == 409, doc
    assert doc["error"]["code"] == "conflict"
    status, _ = call(natter, "POST", "/channels", {"name": "Lobby"}, token)
    assert status == 201
    lobby = next(c for c in (await a.recv_type("active_channels"))["payload"]["channels"]
                 if c["name"] == "Lobby")
    status, _ = call(natter, "PATCH", "/channels", {"id": lobby["id"], "name": "General"}, token)
    assert status == 409
    await a.chat("in the lobby", channel="lobby")
    check_chat_message(await b.recv_type("chat_message"), alice, "in the lobby", channel="Lobby")
    await a.chat("nowhere", channel="generals")
    check_error(await a.recv_type("error"), "unknown_channel")


# --- 3. token expiry on open connections --------------------------------------------------------

async def chat_for(client, peer, seconds: float) -> None:
    """Pings every half second and chats at the end: the connection stays served."""
    end = time.time() + seconds
    while time.time() < end:
        await client.ping()
        await asyncio.sleep(0.5)
    await client.chat("still here")
    check_chat_message(await peer.recv_type("chat_message"), client.user, "still here")


@pytest.mark.timeout(40)
async def test_token_expiry_connect_keeps_and_enforce_closes(start_natter, idp):
    connect = start_natter("--token-leeway", "0")  # NATTER_TOKEN_EXPIRY=connect, the default
    enforce = start_natter("--token-leeway", "0", "--database-url", "sqlite:enforce.db",
                           env={"NATTER_TOKEN_EXPIRY": "enforce"})
    alice, bob = make_user("alice"), make_user("bob")

    async def kept():
        a = await join(connect, idp, alice, token=idp.token(alice, exp_in=5))
        b = await join(connect, idp, bob)
        await a.recv_type("user_status")  # bob
        await chat_for(a, b, 10)  # twice the token's life, still chatting

    async def closed():
        exp = int(time.time()) + 5
        a = await join(enforce, idp, alice, token=idp.token(alice, exp=exp))
        assert await wait_closed(a.ws, 15) == 4001
        assert time.time() >= exp - 1

    await asyncio.gather(kept(), closed())


async def test_a_refreshed_connection_is_held_to_its_latest_token_in_connect_mode(
        start_natter, idp):
    natter = start_natter("--token-leeway", "0")
    alice = make_user("alice")
    a = await join(natter, idp, alice, token=idp.token(alice, exp_in=1))
    exp = int(time.time()) + 3
    await a.send({"type": "refresh_token", "token": idp.token(alice, exp=exp)})
    assert await wait_closed(a.ws, 10) == 4001
    assert time.time() >= exp - 1


async def test_bans_bite_at_once_in_connect_mode(start_natter, idp):
    natter = start_natter()
    alice, admin = make_user("alice"), make_user("root", admin=True)
    a = await join(natter, idp, alice, token=idp.token(alice, exp_in=5))
    status, _ = call(natter, "POST", "/users/ban", {"banished_id": alice.sub, "reason": "spam"},
                     idp.token(admin))
    assert status == 200
    assert await wait_closed(a.ws, 5) == 4003


# --- 4. refresh_token with a key rotated in after start -----------------------------------------

async def test_refresh_signed_by_a_key_that_appeared_after_start(start_natter, idp, keys):
    natter = start_natter("--token-leeway", "0", env={"NATTER_TOKEN_EXPIRY": "enforce"})
    alice, bob = make_user("alice"), make_user("bob")
    first_exp = int(time.time()) + 3
    a = await join(natter, idp, alice, token=idp.token(alice, exp=first_exp))
    b = await join(natter, idp, bob)
    fetched = idp.count("/jwks")
    idp.add_key(keys["rsa3"])  # the provider rotates its key
    await a.send({"type": "refresh_token", "token": idp.token(alice, key=keys["rsa3"],
                                                               exp_in=600), "ref": "r1"})
    await a.recv_type("user_status")  # bob
    await a.no_message(max(0.5, first_exp + 2 - time.time()))  # no refusal, no 4001
    assert idp.count("/jwks") == fetched + 1, "the refresh did not refetch the JWKS"
    await a.chat("after the rotation")
    check_chat_message(await b.recv_type("chat_message"), alice, "after the rotation")


# --- 5. NATTER_API_INSECURE ---------------------------------------------------------------------

async def test_insecure_api_serves_every_route_without_a_token_as_an_admin(start_natter, idp):
    natter = start_natter(*FAST, env={"NATTER_API_INSECURE": "true"})
    admin, alice, bob = make_user("root", admin=True), make_user("alice"), make_user("bob")
    token = idp.token(admin)
    a = await join(natter, idp, alice)
    await join(natter, idp, bob)
    for text in ("one", "two", "three", "four"):
        await a.chat(text)
        await a.recv_type("chat_message")

    def both(method, path, open_body=None, admin_body=None):
        return (call(natter, method, path, open_body),
                call(natter, method, path, admin_body if admin_body is not None else open_body,
                     token))

    reads = ["/channels", "/messages?channel=general", "/users?username=a", "/users/bans",
             f"/activity/sessions?user_id={alice.sub}", "/activity/channels", "/ratelimits"]
    for path in reads:
        (s1, d1), (s2, d2) = both("GET", path)
        assert (s1, d1) == (s2, d2), path
        assert s1 == 200, (path, d1)

    (s1, d1), (s2, d2) = both("POST", "/channels", {"name": "open1"}, {"name": "open2"})
    assert (s1, s2) == (201, 201)
    assert d1 == {**d2, "name": "open1"}
    channels = {c["name"]: c["id"] for c in call(natter, "GET", "/channels")[1]["channels"]}
    (s1, d1), (s2, d2) = (call(natter, "PATCH", "/channels", {"id": channels["open1"],
                                                               "description": "d"}),
                          call(natter, "PATCH", "/channels", {"id": channels["open2"],
                                                               "description": "d"}, token))
    assert (s1, d1) == (s2, d2) == (200, {"message": "Channel updated"})
    (s1, d1), (s2, d2) = (call(natter, "DELETE", f"/channels?id={channels['open1']}"),
                          call(natter, "DELETE", f"/channels?id={channels['open2']}", None,
                               token))
    assert (s1, d1) == (s2, d2) == (200, {"message": "Channel deleted"})

    found = call(natter, "GET", "/messages?channel=general", token=token)[1]
    ids = [m["id"] for m in found["payload"]["messages"]]
    (s1, d1), (s2, d2) = both("DELETE", "/messages", {"ids": ids[:1]}, {"ids": ids[1:2]})
    assert (s1, d1) == (s2, d2) == (204, None)

    (s1, d1), (s2, d2) = both("POST", "/users/ban",
                              {"banished_id": alice.sub, "reason": "r", "duration": 1},
                              {"banished_id": bob.sub, "reason": "r", "duration": 1})
    assert (s1, s2) == (200, 200)
    assert d1 == {**d2, "banished": d1["banished"]} and d1["banished"] != d2["banished"]
    records = call(natter, "GET", "/users/bans")[1]["payload"]["records"]
    assert {r["banished_id"] for r in records} == {alice.sub, bob.sub}
    ban_ids = {r["banished_id"]: r["id"] for r in records}
    (s1, d1), (s2, d2) = (call(natter, "DELETE", f"/users/ban?ban_id={ban_ids[alice.sub]}"),
                          call(natter, "DELETE", f"/users/ban?ban_id={ban_ids[bob.sub]}", None,
                               token))
    assert (s1, s2) == (200, 200)
    assert d1["message"] == d2["message"] == "User pardoned successfully"

    (s1, d1), (s2, d2) = both("PATCH", "/ratelimits",
                              {"id": 1, "message_limit": 7, "window_seconds": 30})
    assert (s1, d1) == (s2, d2) == (200, {"message": "Rate limit updated"})

    # A token, when one is sent, is still checked; /readyz is as it always was.
    status, doc = call(natter, "GET", "/ratelimits", token="not.a.jwt")
    assert status == 401, doc
    status, _, doc = http_json(natter.port, "/readyz")
    assert (status, doc) == (200, {"status": "ready"})
    assert "NATTER_API_INSECURE is on" in natter.log_text()


def test_without_insecure_api_every_route_needs_a_token(start_natter):
    natter = start_natter()
    routes = [("GET", "/channels"), ("POST", "/channels"), ("PATCH", "/channels"),
              ("DELETE", "/channels?id=1"), ("GET", "/messages"), ("DELETE", "/messages"),
              ("GET", "/users?username=a"), ("POST", "/users/ban"),
              ("DELETE", "/users/ban?ban_id=1"), ("GET", "/users/bans"),
              ("GET", "/activity/sessions"), ("GET", "/activity/channels"),
              ("GET", "/ratelimits"), ("PATCH", "/ratelimits")]
    for method, path in routes:
        status, doc = call(natter, method, path, {} if method in ("POST", "PATCH") else None)
        assert status == 401, (method, path, doc)
    assert "NATTER_API_INSECURE" not in natter.log_text()


def test_insecure_api_value_is_checked(start_natter):
    natter = start_natter(env={"NATTER_API_INSECURE": "maybe"}, wait=False)
    natter.expect_exit = True
    assert natter.wait(10) == 2
    assert "NATTER_API_INSECURE" in natter.log_text()


# --- 6. the exact username first ----------------------------------------------------------------

async def test_user_search_puts_the_exact_username_first(start_natter, idp):
    natter = start_natter()
    for name in ("Bobby", "abobo", "bob"):
        c = await join(natter, idp, make_user(name))
        await c.close()
    status, doc = call(natter, "GET", "/users?username=bob", token=idp.token(
        make_user("root", admin=True)))
    assert status == 200
    names = [u["username"] for u in doc["payload"]["users"]]
    assert names == ["bob", "Bobby", "abobo"], names


# --- 7. private history after a restart on SQLite -----------------------------------------------

@pytest.mark.parametrize("stop", ["sigterm", "kill9"])
async def test_private_history_is_replayed_after_a_restart(start_natter, idp, stop):
    alice, bob = make_user("alice"), make_user("bob")
    natter = start_natter()
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    texts = ["psst", "are you there", "ok bye"]
    for text in texts:
        await a.whisper(bob, text)
        check_envelope(await b.recv_type("private_chat_message"), "private_chat_message",
                       "alice")
    await a.chat("a public one")
    await b.recv_type("chat_message")
    natter.expect_exit = True
    if stop == "sigterm":
        natter.signal(signal.SIGTERM)
        assert natter.wait(15) == 0
    else:
        natter.proc.kill()
        natter.proc.wait()

    again = start_natter()  # the same directory: the same natter.db
    for user in (bob, alice):
        c = await join(again, idp, user)
        history = c.seq("bulk_private_messages")
        assert history is not None, f"{user.username} got no private history: {c.types}"
        assert [m["message"] for m in history["payload"]["messages"]] == texts
        assert all(m["id"] > 0 for m in history["payload"]["messages"])
        await c.close()
    # A whisper after the restart joins the history, once.
    b = await join(again, idp, bob)
    a = await join(again, idp, alice)
    await a.whisper(bob, "back")
    await b.recv_type("private_chat_message")
    c = await join(again, idp, bob)
    assert [m["message"] for m in c.seq("bulk_private_messages")["payload"]["messages"]] == \
        texts + ["back"]
