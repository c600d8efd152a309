"""The process: graceful shutdown, settings (flags, environment, bad values, --help), --dev,
and the plain HTTP routes /healthz, /discovery and 404s."""

import asyncio
import json
import re
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from natter_e2e import (Client, RawWebSocket, User, check_chat_message, check_envelope,
                        clean_env, decode_unverified, free_port, http_json, http_request, join,
                        make_user, natter_binary, raw_upgrade, read_connect_sequence,
                        wait_closed, ws_connect)

ALL_SETTINGS = ["listen", "jwks-url", "oidc-issuer", "audience", "allowed-clients",
                "dashboard-client", "admin-role", "role-claim", "channels", "max-message-bytes",
                "max-frame-bytes", "rate-limit", "send-queue-messages", "send-queue-bytes",
                "idle-timeout", "jwks-min-refetch", "threads", "shutdown-timeout", "dev",
                "log-level", "log-format", "database-url", "cors-origins", "max-body-bytes",
                "analytics-interval", "trusted-proxies", "metrics-listen", "valkey-url",
                "presence-timeout", "valkey-pipeline"]


def run_natter(args, env=None, timeout=10):
    binary = natter_binary()
    if not binary.is_file():
        pytest.fail(f"natter binary not found at {binary}")
    # In a directory of its own: a run that gets as far as opening the default store
    # (./natter.db) must not leave it among the tests.
    with tempfile.TemporaryDirectory(prefix="natter-run.") as cwd:
        try:
            return subprocess.run([str(binary)] + args, env=clean_env(env), capture_output=True,
                                  text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd)
        except subprocess.TimeoutExpired:
            pytest.fail(f"natter {' '.join(args)} did not exit within {timeout}s")


# --- shutdown -----------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_closes_clients_with_1001_and_exits_0(natter, idp, sig):
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    natter.expect_exit = True
    natter.signal(sig)
    codes = await asyncio.gather(wait_closed(a.ws, 10), wait_closed(b.ws, 10))
    assert codes == [1001, 1001]
    rc = await asyncio.to_thread(natter.wait, 15)
    assert rc == 0, f"natter exited with {rc}"


@pytest.mark.timeout(40)
async def test_sigterm_spreads_1001_closes_over_time(start_natter, idp):
    """With many clients, SIGTERM turns /readyz 503 at once and sends the 1001 closes in
    batches over min(timeout / 2, 5 s), so they do not all reconnect elsewhere in the same
    instant; natter still exits 0 within --shutdown-timeout."""
    natter = start_natter("--shutdown-timeout", "4", "--max-connections-per-user", "40")
    token = idp.token(make_user("crowd"))
    clients = [await ws_connect(natter, token) for _ in range(40)]
    for ws in clients:
        await read_connect_sequence(ws)

    async def closed_at(ws):
        code = await wait_closed(ws, 10)
        return code, time.monotonic()

    natter.expect_exit = True
    started = time.monotonic()
    natter.signal(signal.SIGTERM)
    waits = asyncio.gather(*(closed_at(ws) for ws in clients))
    await asyncio.sleep(0.3)
    status, _, doc = await asyncio.to_thread(http_json, natter.port, "/readyz")
    assert status == 503 and "shutting_down" in doc["reasons"], doc
    results = await waits
    assert [code for code, _ in results] == [1001] * 40
    times = sorted(t for _, t in results)
    assert times[-1] - times[0] >= 1.0, f"closes not spread: {times[-1] - times[0]:.2f}s"
    assert times[-1] - started <= 2.5, f"last close {times[-1] - started:.2f}s after SIGTERM"
    rc = await asyncio.to_thread(natter.wait, 10)
    assert rc == 0, f"natter exited with {rc}"
    assert time.monotonic() - started <= 4.5, "natter outlived --shutdown-timeout"


def test_sigterm_with_no_clients_exits_0(natter):
    natter.expect_exit = True
    natter.signal(signal.SIGTERM)
    assert natter.wait(15) == 0
    with pytest.raises(OSError):
        http_request(natter.port, "GET", "/healthz", timeout=2)


# --- settings -----------------------------------------------------------------------------------

BAD_SETTINGS = [
    ("rate-limit", "abc"),
    ("valkey-url", "http://127.0.0.1:6379"),
    ("valkey-url", "redis://127.0.0.1:6379/x"),
    ("valkey-pipeline", "0"),
    ("presence-timeout", "0"),
    ("rate-limit", "10"),
    ("rate-limit", "0/60"),
    ("listen", "nonsense"),
    ("listen", "127.0.0.1:99999"),
    ("threads", "many"),
    ("max-frame-bytes", "-5"),
    ("max-message-bytes", "lots"),
    ("send-queue-messages", "x"),
    ("idle-timeout", "soon"),
    ("log-level", "loud"),
    ("log-format", "xml"),
    ("metrics-listen", "nonsense"),
    ("metrics-listen", "127.0.0.1:70000"),
]


def _good_args(idp):
    return ["--listen", f"127.0.0.1:{free_port()}", "--jwks-url", idp.jwks_url,
            "--oidc-issuer", idp.issuer, "--threads", "2"]


def _one_line_naming(stderr, setting):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {stderr!r}"
    pattern = setting.replace("-", "[-_]")
    assert re.search(pattern, lines[0], re.IGNORECASE), \
        f"stderr does not name {setting}: {lines[0]!r}"


@pytest.mark.parametrize("setting,value", BAD_SETTINGS,
                         ids=[f"{s}={v}" for s, v in BAD_SETTINGS])
def test_bad_flag_value_stops_startup(idp, setting, value):
    result = run_natter(_good_args(idp) + [f"--{setting}", value])
    assert result.returncode != 0
    _one_line_naming(result.stderr, setting)


def test_bad_env_value_stops_startup(idp):
    result = run_natter(_good_args(idp), env={"NATTER_RATE_LIMIT": "abc"})
    assert result.returncode != 0
    _one_line_naming(result.stderr, "rate-limit")


def test_unknown_flag_stops_startup(idp):
    result = run_natter(_good_args(idp) + ["--frobnicate", "1"])
    assert result.returncode != 0
    _one_line_naming(result.stderr, "frobnicate")


def test_missing_identity_provider_stops_startup():
    result = run_natter(["--listen", f"127.0.0.1:{free_port()}"])
    assert result.returncode != 0
    _one_line_naming(result.stderr, "jwks-url")


def test_port_in_use_stops_startup(idp):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        args = _good_args(idp)
        args[1] = f"127.0.0.1:{port}"
        result = run_natter(args)
    assert result.returncode != 0
    assert result.stderr.strip(), "no reason given on stderr"


def test_help_lists_every_setting():
    result = run_natter(["--help"])
    assert result.returncode == 0, result.stderr
    for name in ALL_SETTINGS:
        assert f"--{name}" in result.stdout, f"--help does not list --{name}"
        env = "NATTER_" + name.upper().replace("-", "_")
        assert env in result.stdout, f"--help does not name {env}"


async def test_configured_entirely_by_environment(start_natter, idp):
    port = free_port()
    natter = start_natter(base=False, port=port, env={
        "NATTER_LISTEN": f"127.0.0.1:{port}", "NATTER_JWKS_URL": idp.jwks_url,
        "NATTER_OIDC_ISSUER": idp.issuer, "NATTER_THREADS": "2",
        "NATTER_CHANNELS": "lobby,games"})
    c = await join(natter, idp, make_user("alice"))
    assert c.seq("active_channels")["payload"]["channels"] == [
        {"id": 1, "name": "lobby", "sort_order": 1}, {"id": 2, "name": "games", "sort_order": 2}]
    await c.close()


async def test_onrabble_deployment_variables_are_honoured(start_natter, idp):
    """KC_HOSTNAME + REALM_NAME give the issuer (and so the JWKS, by discovery),
    CHAT_CLIENT_NAME and WEB_CLIENT_NAME the client ids, PUBLIC_HOSTNAME /discovery's URLs."""
    port = free_port()
    natter = start_natter(base=False, port=port, env={
        "NATTER_LISTEN": f"127.0.0.1:{port}", "NATTER_THREADS": "2",
        "KC_HOSTNAME": f"http://127.0.0.1:{idp.port}", "REALM_NAME": "natter",
        "CHAT_CLIENT_NAME": "TermChat", "WEB_CLIENT_NAME": "AdminBoard",
        "PUBLIC_HOSTNAME": "example.org"})
    assert idp.issuer == f"http://127.0.0.1:{idp.port}/realms/natter"
    status, _, doc = http_json(natter.port, "/discovery")
    assert status == 200
    assert doc["chat_client"] == "TermChat"
    assert doc["chat_url"] == "wss://chat.example.org/ws"
    # OnRabble's form: no scheme (its client prepends https://), chat at chat.PUBLIC_HOSTNAME.
    assert doc["auth_url"] == f"127.0.0.1:{idp.port}/realms/natter/protocol/openid-connect/auth"
    assert doc["authorization_endpoint"] == idp.issuer + "/protocol/openid-connect/auth"
    alice = await join(natter, idp, make_user("alice", azp="TermChat"))
    board = await join(natter, idp, make_user("boss", azp="AdminBoard"))
    users = board.seq("connected_users")["payload"]["users"]
    assert [u["username"] for u in users] == ["alice"]  # the dashboard is not listed
    await alice.no_message(0.5)  # and announced nothing
    await alice.close()
    await board.close()


async def test_json_log_format_is_one_object_per_line(start_natter, idp):
    natter = start_natter("--log-format", "json")
    alice = await join(natter, idp, make_user("alice"))
    await alice.send('{"type": "chat_message", "channel": "nowhere \\" quoted", "message": "x"}')
    await alice.recv()
    await alice.close()
    await asyncio.sleep(0.3)
    lines = [line for line in natter.log_text().splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]  # every line parses on its own
    for r in records:
        assert {"time", "level"} <= set(r) and ("message" in r or "event" in r), r
        assert r["time"].endswith("Z")
    # Events are records with their fields as top-level keys; other lines are a message.
    connects = [r for r in records if r.get("event") == "connect"]
    assert len(connects) == 1, records
    assert connects[0]["user"] == "alice" and isinstance(connects[0]["conn"], int), connects
    assert connects[0]["remote"].startswith("127.0.0.1:"), connects
    assert any("message" in r for r in records), records


async def test_flag_wins_over_environment(start_natter, idp):
    natter = start_natter("--channels", "from-flag", env={"NATTER_CHANNELS": "from-env"})
    c = await join(natter, idp, make_user("alice"))
    assert c.seq("active_channels")["payload"]["channels"] == [
        {"id": 1, "name": "from-flag", "sort_order": 1}]
    await c.close()


# --- --dev --------------------------------------------------------------------------------------

def _dev_token(natter, query):
    status, headers, body = http_request(natter.port, "GET", "/dev/token?" + query)
    assert status == 200, f"/dev/token?{query} -> {status} {body[:200]!r}"
    assert headers.get("content-type", "").startswith("text/plain"), headers
    token = body.decode().strip()
    assert token.count(".") == 2, token
    return token


async def test_dev_mode_tokens_and_chat(start_natter):
    natter = start_natter("--dev", provider=None)
    ta, tb = _dev_token(natter, "username=alice"), _dev_token(natter, "username=bob")
    claims = decode_unverified(ta)
    assert claims["sub"] == "dev-alice" and claims["preferred_username"] == "alice"
    assert "admin" not in claims.get("realm_access", {}).get("roles", [])
    alice = User("alice", sub="dev-alice", azp=claims["azp"])
    bob = User("bob", sub="dev-bob", azp=claims["azp"])
    a = await join(natter, None, alice, token=ta)
    b = await join(natter, None, bob, token=tb)
    await a.expect_status(bob, True)
    await b.chat("hi from dev")
    check_chat_message(await a.recv(), bob, "hi from dev")
    await a.whisper(bob, "dev whisper")
    assert (await b.recv_type("private_chat_message"))["payload"]["message"] == "dev whisper"
    await a.close()
    await b.close()


async def test_dev_mode_admin_and_dashboard_tokens(start_natter):
    natter = start_natter("--dev", provider=None)
    admin = decode_unverified(_dev_token(natter, "username=root&admin=1"))
    assert "admin" in admin["realm_access"]["roles"]
    dash_token = _dev_token(natter, "username=board&admin=1&client=WebClient")
    assert decode_unverified(dash_token)["azp"] == "WebClient"
    alice_token = _dev_token(natter, "username=alice")
    ws = await ws_connect(natter, alice_token)
    a = Client(ws, User("alice", sub="dev-alice"), await read_connect_sequence(ws))
    d_ws = await ws_connect(natter, dash_token)
    d_seq = await read_connect_sequence(d_ws)
    users = check_envelope(d_seq[-1], "connected_users")["users"]
    assert [u["username"] for u in users] == ["alice"]
    await a.no_message(0.5)
    await d_ws.close()
    await a.close()


def test_dev_token_route_absent_without_dev(natter):
    status, _, _ = http_request(natter.port, "GET", "/dev/token?username=alice")
    assert status == 404


# --- plain HTTP routes --------------------------------------------------------------------------

def test_healthz(natter):
    status, headers, doc = http_json(natter.port, "/healthz")
    assert status == 200
    assert headers.get("content-type", "").startswith("application/json")
    assert doc.get("status") == "ok", doc


def test_discovery(natter):
    status, headers, doc = http_json(natter.port, "/discovery")
    assert status == 200
    assert headers.get("content-type", "").startswith("application/json")
    for key in ("auth_url", "chat_client", "chat_url", "token_url", "health_url",
                "server_name", "server_id"):
        assert key in doc, f"/discovery lacks {key}: {doc}"
        assert isinstance(doc[key], str), f"{key} is not a string: {doc}"
    assert doc["chat_client"] == "ChatClient"


@pytest.mark.parametrize("path", ["/nope", "/ws/extra", "/healthz/more"])
def test_unknown_path_is_404_json(natter, path):
    status, headers, doc = http_json(natter.port, path)
    assert status == 404
    assert set(doc) == {"error"}, doc
    assert isinstance(doc["error"].get("code"), str), doc
    assert isinstance(doc["error"].get("message"), str), doc


async def test_shutdown_does_not_wait_forever_on_a_dead_peer(start_natter, idp):
    """A peer that never answers the close handshake cannot hold natter past
    --shutdown-timeout; meanwhile natter accepts no new connections."""
    natter = start_natter("--shutdown-timeout", "2")
    alice = make_user("alice")
    a = await join(natter, idp, alice)
    dead = RawWebSocket(natter.port, "/ws?token=" + idp.token(make_user("zombie")))
    try:
        assert (await a.recv_type("user_status"))["payload"]["username"] == "zombie"
        natter.expect_exit = True
        natter.signal(signal.SIGTERM)
        assert await wait_closed(a.ws, 5) == 1001
        try:
            status, _, _ = raw_upgrade(natter.port, "/ws?token=" + idp.token(make_user("late")),
                                       timeout=3)
        except (OSError, AssertionError):  # refused, reset or closed: not accepting
            status = None
        assert status != 101, "natter accepted a new WebSocket while shutting down"
        rc = await asyncio.to_thread(natter.wait, 10)
        assert rc == 0, f"natter exited with {rc}"
    finally:
        dead.close()
