"""Limits: rate limit, frame and message size, slow consumers, token expiry and refresh,
idle peers."""

import asyncio
import json
import os
import socket
import threading
import time

import pytest

from natter_e2e import (RawWebSocket, check_chat_message, check_envelope, check_error, join,
                        make_user, wait_closed, ws_uri)


async def _collect(client, n, timeout=5):
    return [await client.recv(timeout) for _ in range(n)]


# --- rate limit ---------------------------------------------------------------------------------

async def test_rate_limit_refuses_the_fourth_message(start_natter, idp):
    natter = start_natter("--rate-limit", "3/60")
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    for i in range(4):
        await a.chat(f"m{i}")
    replies = await _collect(a, 4)
    chats = [m for m in replies if m["type"] == "chat_message"]
    errors = [m for m in replies if m["type"] == "error"]
    assert [m["payload"]["message"] for m in chats] == ["m0", "m1", "m2"], replies
    assert len(errors) == 1, replies
    p = check_error(errors[0], "rate_limited")
    assert isinstance(p["retry_after_ms"], int) and 0 < p["retry_after_ms"] <= 60000, p
    got = await _collect(b, 3)
    assert [m["payload"]["message"] for m in got] == ["m0", "m1", "m2"]
    await b.no_message(0.5)
    await a.no_message(0.3)
    # per user: bob is not limited by alice's sending
    await b.chat("bob speaks")
    check_chat_message(await a.recv(), bob, "bob speaks")
    # alice stays limited, and the refused message carries its ref
    await a.chat("m4", ref="x1")
    check_error(await a.recv_type("error"), "rate_limited", ref="x1")
    await b.recv_type("chat_message")  # bob's own echo
    await b.no_message(0.3)


async def test_rate_limit_counts_public_private_and_all_tabs(start_natter, idp):
    natter = start_natter("--rate-limit", "3/60")
    alice, bob = make_user("alice"), make_user("bob")
    b = await join(natter, idp, bob)
    a1 = await join(natter, idp, alice)
    a2 = await join(natter, idp, alice)
    await b.expect_status(alice, True)
    # Two tabs are two connections: wait for each message so their order is defined.
    got_b = []
    for send in (lambda: a1.chat("public one"), lambda: a2.whisper(bob, "private one"),
                 lambda: a1.chat("public two")):
        await send()
        got_b.append(await b.recv())
    assert [m["payload"]["message"] for m in got_b] == ["public one", "private one",
                                                        "public two"], got_b
    await a2.whisper(bob, "one too many")
    reply = await a2.recv_type("error")
    check_error(reply, "rate_limited")
    await a1.chat("also too many")
    check_error(await a1.recv_type("error"), "rate_limited")
    await b.no_message(0.5)


async def test_rate_limit_window_passes(start_natter, idp):
    natter = start_natter("--rate-limit", "2/2")
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    for i in range(3):
        await a.chat(f"m{i}")
    replies = await _collect(a, 3)
    err = [m for m in replies if m["type"] == "error"]
    assert len(err) == 1, replies
    retry = check_error(err[0], "rate_limited")["retry_after_ms"]
    assert 0 < retry <= 2000, retry
    await asyncio.sleep(retry / 1000 + 0.3)
    await a.chat("after the window")
    check_chat_message(await a.recv(), alice, "after the window")
    msgs = await _collect(b, 3)
    assert [m["payload"]["message"] for m in msgs] == ["m0", "m1", "after the window"]


# --- sizes --------------------------------------------------------------------------------------

async def test_oversize_frame_closes_1009(natter, idp):
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    big = json.dumps({"type": "chat_message", "channel": "general", "message": "z" * 70000})
    assert len(big) > 65536
    await a.send(big)
    assert await wait_closed(a.ws, 5) == 1009
    await b.expect_status(alice, False)
    await b.no_message(0.3)
    await b.chat("still up")
    check_chat_message(await b.recv(), bob, "still up")


async def test_long_text_in_acceptable_frame_is_message_too_long(natter, idp):
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    frame = json.dumps({"type": "chat_message", "channel": "general", "message": "q" * 5000,
                        "ref": "long", "padding": "p" * 900})
    assert 5900 < len(frame) < 6200
    await a.send(frame)
    check_error(await a.recv(), "message_too_long", ref="long")
    await b.no_message(0.3)
    await a.ping()


async def test_size_settings(start_natter, idp):
    natter = start_natter("--max-frame-bytes", "10000", "--max-message-bytes", "10")
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    await a.chat("0123456789")  # exactly 10 bytes
    check_chat_message(await b.recv(), alice, "0123456789")
    await a.chat("0123456789a")
    check_error(await a.recv_type("error"), "message_too_long")
    await a.send(json.dumps({"type": "ping", "padding": "p" * 9000}))  # 9 KB frame is fine
    await a.recv_type("pong")
    await a.send(json.dumps({"type": "ping", "padding": "p" * 11000}))
    assert await wait_closed(a.ws, 5) == 1009
    await b.expect_status(alice, False)


# --- slow consumers -----------------------------------------------------------------------------

@pytest.mark.timeout(120)
async def test_slow_client_is_dropped_and_others_get_everything(start_natter, idp):
    """A client that never reads is closed (4008) once its send queue overflows; the sender
    and a reading client get every message, in order. About 8 MB is sent so that the kernel's
    socket buffers (up to 4 MB on loopback) cannot hide the slow reader from the server."""
    natter = start_natter("--send-queue-messages", "64", "--send-queue-bytes", "65536",
                          "--rate-limit", "100000/1",
                          "--max-messages-per-second", "100000")  # natter's read flood guard
    alice, carol, slowpoke = make_user("alice"), make_user("carol"), make_user("slowpoke")
    a = await join(natter, idp, alice)
    c = await join(natter, idp, carol)
    await a.expect_status(carol, True)
    slow = RawWebSocket(natter.port, "/ws?token=" + idp.token(slowpoke), rcvbuf=4096)
    try:
        await a.expect_status(slowpoke, True)
        await c.expect_status(slowpoke, True)
        n = 2000
        body = "x" * 4000
        started = time.monotonic()

        received = {}

        async def drain(client):
            chats, others = [], []
            received[client] = 0
            while len(chats) < n:
                m = await client.recv(20)
                (chats if m["type"] == "chat_message" else others).append(m)
                received[client] = len(chats)
            return chats, others

        readers = [asyncio.create_task(drain(x)) for x in (a, c)]
        window = 8  # the readers are never more than this many messages (32 KB) behind
        for i in range(n):
            while i - min(received.values(), default=0) > window:
                await asyncio.sleep(0.0005)
            await a.chat(f"{i:05d} {body}")
        (a_chats, a_other), (c_chats, c_other) = await asyncio.gather(*readers)
        print(f"sent and received {n} messages in {time.monotonic() - started:.1f}s")
        for chats in (a_chats, c_chats):
            assert [m["payload"]["message"][:5] for m in chats] == [f"{i:05d}" for i in range(n)]
            ids = [m["payload"]["cacheID"] for m in chats]
            assert all(x < y for x, y in zip(ids, ids[1:]))

        # everyone else learns that the slow user left
        offline = slowpoke.status(False)
        started = time.monotonic()
        for others, client in ((a_other, a), (c_other, c)):
            statuses = [m["payload"] for m in others if m["type"] == "user_status"]
            if offline not in statuses:
                msg = await client.recv_type("user_status", 20)
                assert check_envelope(msg, "user_status") == offline
        print(f"offline status {time.monotonic() - started:.1f}s after the last message")

        # The slow client itself finds its stream ended by the server (a 4008 close frame,
        # or just the end of the connection) after what was already in flight.
        slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        started = time.monotonic()
        code, opcodes = await asyncio.to_thread(slow.read_until_closed, 30)
        print(f"slow client: {len(opcodes)} frames, close {code}, "
              f"read in {time.monotonic() - started:.1f}s")
        assert code in (None, 4008), f"slow client closed with {code}, expected 4008"
        assert opcodes.count(0x1) < n, "the slow client was sent every message: not dropped"
        await a.ping()
        await c.ping()
    finally:
        slow.close()


# --- token expiry and refresh -------------------------------------------------------------------
# With NATTER_TOKEN_EXPIRY=enforce and no leeway (connect, the default, is in test_onrabble.py).

ENFORCE = ("--token-expiry", "enforce", "--token-leeway", "0")


async def test_expired_token_closes_4001(start_natter, idp):
    natter = start_natter(*ENFORCE)
    alice, bob = make_user("alice"), make_user("bob")
    claims_exp = int(time.time()) + 3
    a = await join(natter, idp, alice, token=idp.token(alice, exp=claims_exp))
    b = await join(natter, idp, bob)
    code = await wait_closed(a.ws, 10)
    closed_at = time.time()
    assert code == 4001
    assert closed_at >= claims_exp - 1, f"closed {claims_exp - closed_at:.1f}s before exp"
    await b.expect_status(alice, False)


async def test_refresh_token_extends_the_session(start_natter, idp):
    natter = start_natter(*ENFORCE)
    alice, bob = make_user("alice"), make_user("bob")
    first_exp = int(time.time()) + 3
    a = await join(natter, idp, alice, token=idp.token(alice, exp=first_exp))
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    await a.send({"type": "refresh_token", "token": idp.token(alice, exp_in=600)})
    await a.no_message(max(0.5, first_exp + 3 - time.time()))  # well past the first exp
    await a.ping()
    await a.chat("still here")
    check_chat_message(await b.recv(), alice, "still here")


async def test_refused_refresh_does_not_extend(start_natter, idp):
    natter = start_natter(*ENFORCE)
    alice = make_user("alice")
    first_exp = int(time.time()) + 4
    a = await join(natter, idp, alice, token=idp.token(alice, exp=first_exp))
    await a.send({"type": "refresh_token", "token": idp.token(alice, exp=first_exp + 600,
                                                               iss="http://evil.example")})
    check_error(await a.recv(), "invalid_message")
    assert await wait_closed(a.ws, 10) == 4001
    assert time.time() >= first_exp - 1


async def test_the_expiry_timer_applies_the_leeway(start_natter, idp):
    """A token 2 s past exp is let in by the leeway; the timer must not close it at once."""
    natter = start_natter("--token-expiry", "enforce", "--token-leeway", "4")
    alice = make_user("alice")
    exp = int(time.time()) - 2
    a = await join(natter, idp, alice, token=idp.token(alice, exp=exp))
    await a.no_message(1.0)
    await a.ping()
    assert await wait_closed(a.ws, 10) == 4001
    assert time.time() >= exp + 4 - 1


# --- idle peers ---------------------------------------------------------------------------------

async def test_peer_that_never_answers_pings_is_dropped(start_natter, idp):
    natter = start_natter("--idle-timeout", "2")
    alice, ghost = make_user("alice"), make_user("ghost")
    a = await join(natter, idp, alice)
    raw = RawWebSocket(natter.port, "/ws?token=" + idp.token(ghost))
    try:
        await a.expect_status(ghost, True)
        code, opcodes = await asyncio.to_thread(raw.read_until_closed, 15)
        assert 0x9 in opcodes, f"server never pinged the idle peer (frames: {opcodes})"
        await a.expect_status(ghost, False, timeout=5)
        # alice answers pings (the websockets library does): she stays, well past the timeout
        await a.no_message(5)
        await a.ping()
    finally:
        raw.close()


async def test_silent_tcp_connection_is_dropped_by_handshake_timeout(start_natter, idp):
    natter = start_natter("--handshake-timeout", "1")
    sock = socket.create_connection(("127.0.0.1", natter.port))
    try:
        sock.settimeout(10)
        try:
            data = await asyncio.to_thread(sock.recv, 4096)
        except socket.timeout:
            raise AssertionError("a connection that never sent a request is still open "
                                 "after 10 s") from None
        except ConnectionResetError:
            data = b""
        # natter may answer 408 or just close; either way the connection ends
        while data:
            more = await asyncio.to_thread(sock.recv, 4096)
            if not more:
                break
            data += more
        assert data == b"" or data.startswith(b"HTTP/1.1 408"), data[:100]
    finally:
        sock.close()
    # and natter serves others meanwhile
    c = await join(natter, idp, make_user("alice"))
    await c.ping()


async def test_slow_client_that_reads_again_gets_close_4008(start_natter, idp):
    """A client that stops reading until its send queue overflows, then reads again, finds a
    close frame with 4008 after what was in flight (not a bare end of stream)."""
    natter = start_natter("--send-queue-messages", "256", "--send-queue-bytes", "262144",
                          "--rate-limit", "100000/1", "--max-messages-per-second", "100000")
    alice, slowpoke = make_user("alice"), make_user("slowpoke")
    a = await join(natter, idp, alice)
    slow = RawWebSocket(natter.port, "/ws?token=" + idp.token(slowpoke), rcvbuf=4096)
    try:
        await a.expect_status(slowpoke, True)
        body = "x" * 4000
        for i in range(4000):
            await a.chat(f"{i:05d} {body}")
            await a.recv_type("chat_message")  # alice keeps up
            if i % 10 == 0 and "closing 4008" in natter.log_text():
                break
        else:
            raise AssertionError("the slow client's queue never overflowed")
        slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        code, opcodes = await asyncio.to_thread(slow.read_until_closed, 10)
        assert code == 4008, f"slow client read {len(opcodes)} frames, then close {code}"
        await a.recv_type("user_status", 10)
    finally:
        slow.close()


# --- control frames -----------------------------------------------------------------------------

def test_ping_flood_counts_against_the_read_budget(start_natter, idp):
    """20,000 pings in one burst from a client that reads: it is not closed as too slow, it
    gets far fewer pongs than pings (a newer ping replaces an unanswered one), the last pong
    answers the last ping, and the pings are read no faster than the per-second budget."""
    natter = start_natter("--max-messages-per-second", "5000")
    raw = RawWebSocket(natter.port, "/ws?token=" + idp.token(make_user("pinger")))
    try:
        while json.loads(raw.read_frame(5)[1])["type"] != "connected_users":
            pass  # the connect sequence
        n = 20000
        started = time.monotonic()
        frames = b"".join(ping_frame(b"%05d" % i) for i in range(n))
        sender = threading.Thread(target=raw.sock.sendall, args=(frames,))
        sender.start()
        pongs = []
        last = (b"%05d" % (n - 1))
        while not pongs or pongs[-1] != last:
            frame = raw.read_frame(max(0.01, started + 20 - time.monotonic()))
            assert frame is not None, f"connection ended after {len(pongs)} pongs"
            opcode, payload = frame
            assert opcode != 0x8, f"closed {payload[:2].hex()} after {len(pongs)} pongs"
            if opcode == 0xA:
                pongs.append(payload)
        elapsed = time.monotonic() - started
        sender.join()
        print(f"{n} pings: {len(pongs)} pongs in {elapsed:.1f}s")
        assert len(pongs) < n // 10, f"{len(pongs)} pongs for {n} pings"
        assert elapsed >= 2.5, f"{n} pings read in {elapsed:.1f}s: not held to 5,000 a second"
        raw.send_text(json.dumps({"type": "ping"}))
        while (frame := raw.read_frame(5)) and frame[0] != 0x1:
            pass
        assert frame is not None and json.loads(frame[1])["type"] == "pong"
    finally:
        raw.close()


def ping_frame(payload: bytes) -> bytes:
    mask = os.urandom(4)
    return (bytes([0x89, 0x80 | len(payload)]) + mask
            + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))


def masked_frame(first_byte: int, payload: bytes, declared: int | None = None) -> bytes:
    """A client frame: `first_byte` holds FIN and the opcode; `declared` may claim more payload
    than is given (a frame left unfinished)."""
    n = len(payload) if declared is None else declared
    mask = os.urandom(4)
    if n < 126:
        header = bytes([first_byte, 0x80 | n])
    elif n < 65536:
        header = bytes([first_byte, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([first_byte, 0x80 | 127]) + n.to_bytes(8, "big")
    return header + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def trickle_until_closed(raw: RawWebSocket, trickle: bytes, within: float) -> float:
    """Sends `trickle` every 0.2 s, reading what comes, until the server ends the connection;
    returns how long that took. Fails if it is still open after `within` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            raw.sock.sendall(trickle)
        except OSError:
            return time.monotonic() - started
        try:
            while (frame := raw.read_frame(0.2)) is not None:
                if frame[0] == 0x8:
                    return time.monotonic() - started
            return time.monotonic() - started  # EOF
        except TimeoutError:
            pass
    raise AssertionError(f"still open after {within}s of a trickle of {trickle!r}")


async def test_unfinished_frame_is_dropped_despite_a_trickle_of_bytes(start_natter, idp):
    """65,000 bytes of a declared 65,535-byte frame, then a byte every 0.2 s: bytes are not a
    sign of life, so the peer is dropped within about the idle timeout."""
    natter = start_natter("--idle-timeout", "2")
    alice, tease = make_user("alice"), make_user("tease")
    a = await join(natter, idp, alice)
    raw = RawWebSocket(natter.port, "/ws?token=" + idp.token(tease))
    try:
        await a.expect_status(tease, True)
        raw.sock.sendall(masked_frame(0x81, b"x" * 65000, declared=65535))
        took = await asyncio.to_thread(trickle_until_closed, raw, b"x", 10)
        print(f"dropped after {took:.1f}s")
        await a.expect_status(tease, False)
    finally:
        raw.close()


async def test_unfinished_fragmented_message_is_dropped_despite_pongs(start_natter, idp):
    """The first fragment of a message, then pongs every 0.2 s and never the last fragment:
    the message must complete within the idle timeout."""
    natter = start_natter("--idle-timeout", "2")
    alice, tease = make_user("alice"), make_user("tease")
    a = await join(natter, idp, alice)
    raw = RawWebSocket(natter.port, "/ws?token=" + idp.token(tease))
    try:
        await a.expect_status(tease, True)
        raw.sock.sendall(masked_frame(0x01, b'{"type":"chat_message","channel":"general",'))
        took = await asyncio.to_thread(trickle_until_closed, raw, masked_frame(0x8A, b""), 10)
        print(f"dropped after {took:.1f}s")
        await a.expect_status(tease, False)
    finally:
        raw.close()
