"""Connecting: the connect sequence, the three ways to present a token, refused upgrades,
key rotation and an unreachable identity provider."""

import asyncio
import json
import time

import pytest
import websockets

from natter_e2e import (REMOVE, Client, IdentityProvider, RawWebSocket, SigningKey,
                        check_envelope, check_private_payload, check_chat_payload, free_port,
                        hs256_token, join, make_user, raw_upgrade, recv_json, unsigned_token,
                        ws_connect, ws_uri)


def check_refusal(natter, token, expected_status=401, headers=None):
    path = "/ws" + (("?token=" + token) if token is not None else "")
    status, hdrs, body = raw_upgrade(natter.port, path, headers)
    assert status == expected_status, f"upgrade answered {status}, expected {expected_status}"
    assert "json" in hdrs.get("content-type", ""), f"content-type {hdrs.get('content-type')}"
    doc = json.loads(body)
    assert set(doc) == {"error"}, doc
    assert isinstance(doc["error"].get("code"), str) and doc["error"]["code"], doc
    assert isinstance(doc["error"].get("message"), str) and doc["error"]["message"], doc
    return doc


# --- the connect sequence ---------------------------------------------------------------------

async def test_first_user_gets_channels_and_itself(natter, idp):
    alice = make_user("alice")
    c = await join(natter, idp, alice)
    assert c.types == ["active_channels", "connected_users"]
    channels = check_envelope(c.sequence[0], "active_channels")
    # Seeded channels are ordered 1..n (sort_order is omitted only when 0).
    assert channels == {"channels": [{"id": 1, "name": "general", "sort_order": 1}]}
    users = check_envelope(c.sequence[1], "connected_users")
    assert users == {"users": [alice.status(True)]}
    await c.ping()
    await c.close()


async def test_channels_setting_gives_ids_in_order(start_natter, idp):
    natter = start_natter("--channels", "general,random,dev-talk")
    c = await join(natter, idp, make_user("alice"))
    assert check_envelope(c.sequence[0], "active_channels") == {"channels": [
        {"id": 1, "name": "general", "sort_order": 1}, {"id": 2, "name": "random", "sort_order": 2},
        {"id": 3, "name": "dev-talk", "sort_order": 3}]}
    await c.close()


async def test_connect_sequence_with_history_is_in_order(start_natter, idp):
    natter = start_natter("--channels", "general,random")
    alice, bob = make_user("alice"), make_user("bob")
    b = await join(natter, idp, bob)
    await b.close()  # bob is now known but offline

    a = await join(natter, idp, alice)
    await a.chat("first", "general")
    p1 = check_envelope(await a.recv_type("chat_message"), "chat_message", "alice")
    await a.chat("second", "random")
    p2 = check_envelope(await a.recv_type("chat_message"), "chat_message", "alice")
    await a.whisper(bob, "psst")
    pp = check_envelope(await a.recv_type("private_chat_message"), "private_chat_message",
                        "alice")

    b = await join(natter, idp, bob)
    assert b.types == ["active_channels", "bulk_chat_messages", "bulk_private_messages",
                       "connected_users"]
    bulk = check_envelope(b.sequence[1], "bulk_chat_messages")
    assert set(bulk) == {"messages"}
    assert [m["message"] for m in bulk["messages"]] == ["first", "second"]
    check_chat_payload(bulk["messages"][0], alice, "first", "general")
    check_chat_payload(bulk["messages"][1], alice, "second", "random")
    assert [m["cacheID"] for m in bulk["messages"]] == [p1["cacheID"], p2["cacheID"]]
    privates = check_envelope(b.sequence[2], "bulk_private_messages")
    assert set(privates) == {"messages"} and len(privates["messages"]) == 1
    check_private_payload(privates["messages"][0], alice, bob, "psst")
    assert privates["messages"][0]["cacheID"] == pp["cacheID"]
    users = check_envelope(b.sequence[3], "connected_users")["users"]
    assert sorted(users, key=lambda u: u["username"]) == [alice.status(True), bob.status(True)]

    # A third user saw no private message of theirs: no bulk_private_messages.
    carol = await join(natter, idp, make_user("carol"))
    assert carol.types == ["active_channels", "bulk_chat_messages", "connected_users"]
    for c in (a, b, carol):
        await c.close()


async def test_sender_sees_own_private_history(natter, idp):
    alice, bob = make_user("alice"), make_user("bob")
    b = await join(natter, idp, bob)
    a = await join(natter, idp, alice)
    await a.whisper(bob, "hi bob")
    await a.recv_type("private_chat_message")
    await a.close()
    a2 = await join(natter, idp, alice)
    assert a2.types == ["active_channels", "bulk_private_messages", "connected_users"]
    check_private_payload(a2.sequence[1]["payload"]["messages"][0], alice, bob, "hi bob")
    await a2.close()
    await b.close()


# --- the three ways to present a token --------------------------------------------------------

@pytest.mark.parametrize("how", ["query", "header", "subprotocol"])
async def test_token_ways(natter, idp, how):
    alice = make_user("alice")
    ws = await ws_connect(natter, idp.token(alice), how=how)
    if how == "subprotocol":
        assert ws.subprotocol == "bearer"
    else:
        assert ws.subprotocol is None
    c = Client(ws, alice, [])
    first = await c.recv()
    assert first["type"] == "active_channels"
    users = await c.recv_type("connected_users")
    assert users["payload"]["users"] == [alice.status(True)]
    await c.ping()
    await c.close()


@pytest.mark.parametrize("key_name", ["rsa", "ec"])
async def test_rs256_and_es256_tokens(natter, idp, keys, key_name):
    alice = make_user("alice")
    c = await join(natter, idp, alice, token=idp.token(alice, key=keys[key_name]))
    assert c.seq("connected_users")["payload"]["users"] == [alice.status(True)]
    await c.close()


async def test_keycloak_jwks_with_encryption_key_and_discovery_paths(start_natter, idp, keys):
    """Keycloak's certs endpoint also lists an RSA-OAEP key with use=enc; natter must skip
    it, not refuse the whole set."""
    idp.set_keys([keys["enc"], keys["rsa"]])
    natter = start_natter(jwks_url=f"http://127.0.0.1:{idp.port}{idp.certs_path}")
    alice = make_user("alice")
    c = await join(natter, idp, alice, token=idp.token(alice, key=keys["rsa"]))
    assert c.seq("connected_users") is not None
    await c.close()


async def test_issuer_discovery_without_jwks_url(start_natter, idp):
    natter = start_natter("--oidc-issuer", idp.issuer, provider=None)
    alice = make_user("alice")
    c = await join(natter, idp, alice)
    assert c.types[0] == "active_channels"
    assert idp.count(idp.REALM_PATH + "/.well-known/openid-configuration") >= 1
    assert idp.count(idp.certs_path) >= 1
    await c.close()


# --- refused upgrades ---------------------------------------------------------------------------

@pytest.fixture
def refusing_natter(start_natter):
    return start_natter("--allowed-clients", "ChatClient,WebClient")


def _bad_tokens(idp, keys):
    u = make_user("mallory")
    good_claims = idp.claims(u)
    valid = keys["rsa"].sign(good_claims)
    head, payload, sig = valid.split(".")
    tampered_claims = dict(good_claims, preferred_username="admin",
                           realm_access={"roles": ["admin"]})
    from natter_e2e import b64url
    tampered = ".".join([head, b64url(json.dumps(tampered_claims).encode()), sig])
    return {
        "garbage": "not-a-jwt",
        "three_garbage_parts": "abc.def.ghi",
        "empty_signature": head + "." + payload + ".",
        "forged_signature": keys["rogue"].sign(good_claims),
        "tampered_payload": tampered,
        "expired": idp.token(u, exp_in=-3600),
        "not_yet_valid": idp.token(u, nbf=int(time.time()) + 3600),
        "wrong_issuer": idp.token(u, iss="http://127.0.0.1:1/realms/other"),
        "alg_none": unsigned_token(good_claims, kid="rsa-1"),
        "alg_hs256_with_public_key": hs256_token(good_claims, keys["rsa"].public_pem, "rsa-1"),
        "alg_hs256_with_empty_secret": hs256_token(good_claims, b"", "rsa-1"),
        "rs256_header_on_ec_key": keys["rsa"].sign(good_claims, kid="ec-1"),
        "missing_sub": idp.token(u, sub=REMOVE),
        "missing_preferred_username": idp.token(u, preferred_username=REMOVE),
        "missing_azp": idp.token(u, azp=REMOVE),
        "missing_exp": idp.token(u, exp=REMOVE),
        "sub_wrong_type": idp.token(u, sub=12345),
        "client_not_allowed": idp.token(u, azp="SomeOtherClient"),
        "unknown_kid": keys["rsa3"].sign(good_claims),
    }


BAD_TOKEN_NAMES = ["garbage", "three_garbage_parts", "empty_signature", "forged_signature",
                   "tampered_payload", "expired", "not_yet_valid", "wrong_issuer", "alg_none",
                   "alg_hs256_with_public_key", "alg_hs256_with_empty_secret",
                   "rs256_header_on_ec_key", "missing_sub", "missing_preferred_username",
                   "missing_azp", "missing_exp", "sub_wrong_type", "client_not_allowed",
                   "unknown_kid"]


def test_refused_tokens(refusing_natter, idp, keys):
    """Every bad token gets 401 with a JSON error body, and the server keeps serving. (One
    natter for all of them, to keep the suite fast; each failure is listed by name.)"""
    failures = []
    for name, token in _bad_tokens(idp, keys).items():
        try:
            check_refusal(refusing_natter, token, 401)
        except (AssertionError, ValueError) as e:
            failures.append(f"{name}: {e}")
    assert not failures, "\n".join(failures)
    # still healthy, and a good token is still accepted
    status, _, _ = raw_upgrade(refusing_natter.port,
                               "/ws?token=" + idp.token(make_user("alice")))
    assert status == 101


def test_missing_token_is_401(natter):
    check_refusal(natter, None, 401)


def test_empty_bearer_header_is_401(natter):
    check_refusal(natter, None, 401, headers={"Authorization": "Bearer "})


def test_bearer_header_with_forged_token_is_401(natter, idp, keys):
    forged = keys["rogue"].sign(idp.claims(make_user("eve")))
    check_refusal(natter, None, 401, headers={"Authorization": f"Bearer {forged}"})


def test_small_clock_skew_is_accepted(natter, idp):
    """iat 20 s and nbf 10 s in the future are inside the 30 s leeway at connect."""
    now = int(time.time())
    token = idp.token(make_user("alice"), iat=now + 20, nbf=now + 10)
    status, _, _ = raw_upgrade(natter.port, "/ws?token=" + token)
    assert status == 101


async def test_websockets_client_sees_401(natter, idp, keys):
    forged = keys["rogue"].sign(idp.claims(make_user("eve")))
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as info:
        await ws_connect(natter, forged)
    assert info.value.status_code == 401


async def test_audience_setting(start_natter, idp):
    natter = start_natter("--audience", "natter-api,other-api")
    u = make_user("alice")
    check_refusal(natter, idp.token(u), 401)  # aud "account", azp "ChatClient"
    c = await join(natter, idp, u, token=idp.token(u, aud=["account", "natter-api"]))
    await c.close()
    c = await join(natter, idp, u, token=idp.token(u, aud="other-api"))
    await c.close()


async def test_allowed_clients_setting(start_natter, idp):
    natter = start_natter("--allowed-clients", "TerminalClient")
    check_refusal(natter, idp.token(make_user("alice")), 401)  # azp ChatClient
    c = await join(natter, idp, make_user("bob", azp="TerminalClient"))
    await c.close()


# --- keys: rotation and an unreachable provider ------------------------------------------------

async def test_key_rotation_refetches_on_unknown_kid(start_natter, idp, keys):
    natter = start_natter("--jwks-min-refetch", "30")
    fetched_at_start = idp.count("/jwks")
    assert fetched_at_start >= 1, "natter did not fetch the JWKS at start-up"
    idp.add_key(keys["rsa2"])
    alice = make_user("alice")
    c = await join(natter, idp, alice, token=idp.token(alice, key=keys["rsa2"]))
    assert c.seq("connected_users") is not None
    assert idp.count("/jwks") == fetched_at_start + 1
    # The old key is still served and still good.
    bob = make_user("bob")
    b = await join(natter, idp, bob, token=idp.token(bob, key=keys["rsa"]))
    await b.close()
    await c.close()

    # A second new kid within --jwks-min-refetch: no refetch, so it is refused.
    idp.add_key(keys["rsa3"])
    carol = make_user("carol")
    check_refusal(natter, idp.token(carol, key=keys["rsa3"]), 401)
    assert idp.count("/jwks") == fetched_at_start + 1, "refetched despite --jwks-min-refetch"


async def test_removed_key_is_refused_after_refetch(start_natter, idp, keys):
    natter = start_natter("--jwks-min-refetch", "1")
    alice = make_user("alice")
    old_token = idp.token(alice, key=keys["rsa"])
    idp.set_keys([keys["rsa2"]])  # rsa-1 retired
    c = await join(natter, idp, alice, token=idp.token(alice, key=keys["rsa2"]))
    await c.close()
    check_refusal(natter, old_token, 401)


async def test_unreachable_provider_gives_503(start_natter, idp):
    dead = free_port()  # nothing listens here
    natter = start_natter(jwks_url=f"http://127.0.0.1:{dead}/jwks")
    doc = check_refusal(natter, idp.token(make_user("alice")), 503)
    assert doc["error"]["code"]
    # natter is still up
    status, _, _ = raw_upgrade(natter.port, "/ws")  # no token: still 401, not a crash
    assert status in (401, 503)


async def test_cached_keys_survive_provider_outage(start_natter, idp):
    natter = start_natter()
    idp.close()  # the provider goes down after natter loaded its keys
    alice = make_user("alice")
    c = await join(natter, idp, alice)
    assert c.seq("connected_users")["payload"]["users"] == [alice.status(True)]
    await c.close()


async def test_recovers_once_provider_comes_up(start_natter, keys):
    port = free_port()
    natter = start_natter("--jwks-min-refetch", "1", provider=None,
                          jwks_url=f"http://127.0.0.1:{port}/jwks",
                          issuer=f"http://127.0.0.1:{port}/realms/natter")
    late = IdentityProvider([keys["rsa"]], port=port)
    try:
        assert late.issuer == f"http://127.0.0.1:{port}/realms/natter"
        alice = make_user("alice")
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline:
            status, _, _ = raw_upgrade(natter.port, "/ws?token=" + late.token(alice))
            if status == 101:
                break
            assert status == 503, f"expected 503 while keys are missing, got {status}"
            await asyncio.sleep(0.25)
        assert status == 101, "natter never loaded the keys once the provider was up"
        c = await join(natter, late, alice)
        await c.close()
    finally:
        late.close()



@pytest.mark.parametrize("since", ["abc", "-1", "-5", "1.5", "", "9007199254740992",
                                   "9223372036854775807", "99999999999999999999"])
def test_bad_since_is_400(natter, idp, since):
    status, hdrs, body = raw_upgrade(natter.port, f"/ws?since={since}&token="
                                     + idp.token(make_user("alice")))
    assert status == 400
    doc = json.loads(body)
    assert isinstance(doc["error"]["code"], str) and isinstance(doc["error"]["message"], str)


async def test_since_at_the_top_of_its_range_after_a_message(natter, idp):
    """`since` is checked before it meets arithmetic: with a message in the cache, the largest
    `since` taken (2^53 - 1) replays nothing, and the int64 maximum is a 400, not an
    overflow; natter serves on."""
    alice = make_user("alice")
    a = await join(natter, idp, alice)
    await a.chat("one")
    await a.recv_type("chat_message")
    bob = make_user("bob")
    top = await join(natter, idp, bob, since=2 ** 53 - 1)
    await a.expect_status(bob, True)
    assert top.types == ["active_channels", "connected_users"], top.types
    status, _, body = raw_upgrade(natter.port, "/ws?since=9223372036854775807&token="
                                  + idp.token(make_user("carol")))
    assert status == 400, (status, body)
    assert json.loads(body)["error"]["code"] == "bad_request"
    await top.close()
    await a.expect_status(bob, False)
    await a.ping()


# --- connection caps ---------------------------------------------------------------------------

async def test_connections_per_user_are_capped_with_429(natter, idp):
    """NATTER_MAX_CONNECTIONS_PER_USER defaults to 16: the 17th is refused with 429."""
    alice, bob = make_user("alice"), make_user("bob")
    held = [RawWebSocket(natter.port, "/ws?token=" + idp.token(alice)) for _ in range(16)]
    try:
        doc = check_refusal(natter, idp.token(alice), 429)
        assert doc["error"]["code"] == "too_many_connections", doc
        assert "user=alice" in natter.log_text() and "429" in natter.log_text()
        b = await join(natter, idp, bob)  # others are not counted against her
        held.pop().close()
        deadline = time.monotonic() + 5
        while True:  # her slot is given back once the closed connection has ended
            status, _, _ = raw_upgrade(natter.port, "/ws?token=" + idp.token(alice))
            if status == 101 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert status == 101, f"a connection after closing one answered {status}"
        await b.ping()
    finally:
        for raw in held:
            raw.close()


async def test_connections_per_forwarded_address_are_capped_with_429(start_natter, idp):
    natter = start_natter("--max-connections-per-ip", "3", "--trusted-proxies", "127.0.0.1")
    via = {"X-Forwarded-For": "203.0.113.7"}
    held = [RawWebSocket(natter.port, "/ws?token=" + idp.token(make_user(f"u{i}")), via)
            for i in range(3)]
    try:
        path = "/ws?token=" + idp.token(make_user("u3"))
        status, _, body = raw_upgrade(natter.port, path, via)
        assert status == 429, status
        assert json.loads(body)["error"]["code"] == "too_many_connections"
        assert "203.0.113.7" in natter.log_text()
        assert raw_upgrade(natter.port, path, {"X-Forwarded-For": "203.0.113.8"})[0] == 101
    finally:
        for raw in held:
            raw.close()
