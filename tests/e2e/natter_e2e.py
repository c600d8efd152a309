"""Harness for natter's end-to-end tests.

Everything a test needs to drive the built binary from outside: a fake OpenID Connect
provider (JWKS + discovery over plain HTTP on loopback), Keycloak-like tokens, the natter
process itself, WebSocket clients (the `websockets` library and a raw-socket client for the
tests that must misbehave at the TCP level) and small assertion helpers.

Only Debian's python3 packages are used: pytest, websockets 10.4, PyJWT 2.6, cryptography.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlencode

import jwt
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO / "build" / "release" / "natter"

TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
CHAT_MESSAGE_KEYS = {"cacheID", "owner_id", "username", "channel", "message", "authored_at"}
PRIVATE_MESSAGE_KEYS = {"cacheID", "owner_id", "username", "recipient_id", "recipient",
                        "message", "authored_at"}


def natter_binary() -> Path:
    return Path(os.environ.get("NATTER_BINARY") or DEFAULT_BINARY)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_int(value: int, length: int | None = None) -> str:
    length = length or (value.bit_length() + 7) // 8
    return b64url(value.to_bytes(length, "big"))


# --------------------------------------------------------------------------------------------
# Keys and tokens
# --------------------------------------------------------------------------------------------

class SigningKey:
    """A private key plus its public JWK."""

    def __init__(self, kind: str, kid: str, use: str = "sig"):
        self.kind = kind
        self.kid = kid
        self.use = use
        if kind == "rsa":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.alg = "RS256" if use == "sig" else "RSA-OAEP"
        elif kind == "ec":
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.alg = "ES256"
        else:
            raise ValueError(kind)

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def jwk(self) -> dict:
        pub = self.private.public_key().public_numbers()
        if self.kind == "rsa":
            return {"kid": self.kid, "kty": "RSA", "alg": self.alg, "use": self.use,
                    "n": b64url_int(pub.n), "e": b64url_int(pub.e)}
        return {"kid": self.kid, "kty": "EC", "alg": self.alg, "use": self.use, "crv": "P-256",
                "x": b64url_int(pub.x, 32), "y": b64url_int(pub.y, 32)}

    def sign(self, claims: dict, kid: str | None = None, alg: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm=alg or self.alg,
                          headers={"kid": kid if kid is not None else self.kid})


def unsigned_token(claims: dict, kid: str) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
            + ".")


def hs256_token(claims: dict, secret: bytes, kid: str) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = (b64url(json.dumps(header).encode()) + "."
                     + b64url(json.dumps(claims).encode()))
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


def decode_unverified(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


@dataclass
class User:
    username: str
    azp: str = "ChatClient"
    roles: tuple = ("offline_access", "uma_authorization")
    sub: str = field(default_factory=lambda: str(uuid.uuid4()))

    def status(self, online: bool) -> dict:
        return {"username": self.username, "id": self.sub, "status": online}


def make_user(username: str, *, admin: bool = False, dashboard: bool = False,
              azp: str | None = None) -> User:
    roles = ("offline_access", "uma_authorization") + (("admin",) if admin else ())
    return User(username=username, azp=azp or ("WebClient" if dashboard else "ChatClient"),
                roles=roles)


# --------------------------------------------------------------------------------------------
# The identity provider: JWKS and discovery over HTTP
# --------------------------------------------------------------------------------------------

class IdentityProvider:
    """A minimal OpenID provider on 127.0.0.1: serves /jwks (and the Keycloak-style certs
    path) and /realms/natter/.well-known/openid-configuration; counts requests per path."""

    REALM_PATH = "/realms/natter"

    def __init__(self, keys: Iterable[SigningKey], port: int = 0):
        self.keys: list[SigningKey] = list(keys)
        self.extra_jwks: list[dict] = []
        self.requests: dict[str, int] = {}
        self._lock = threading.Lock()
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                with provider._lock:
                    provider.requests[path] = provider.requests.get(path, 0) + 1
                body = provider._document(path)
                if body is None:
                    self.send_response(404)
                    payload = b'{"error":"not found"}'
                else:
                    self.send_response(200)
                    payload = json.dumps(body).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.REALM_PATH}"

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/jwks"

    @property
    def certs_path(self) -> str:
        return f"{self.REALM_PATH}/protocol/openid-connect/certs"

    def jwks(self) -> dict:
        with self._lock:
            return {"keys": [k.jwk() for k in self.keys] + list(self.extra_jwks)}

    def _document(self, path: str):
        if path in ("/jwks", self.certs_path):
            return self.jwks()
        if path in (self.REALM_PATH + "/.well-known/openid-configuration",
                    "/.well-known/openid-configuration"):
            base = self.issuer + "/protocol/openid-connect"
            return {"issuer": self.issuer, "jwks_uri": f"http://127.0.0.1:{self.port}"
                    + self.certs_path, "authorization_endpoint": base + "/auth",
                    "token_endpoint": base + "/token",
                    "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
        return None

    def set_keys(self, keys: Iterable[SigningKey]) -> None:
        with self._lock:
            self.keys = list(keys)

    def add_key(self, key: SigningKey) -> None:
        with self._lock:
            self.keys.append(key)

    def count(self, path: str = "/jwks") -> int:
        with self._lock:
            return self.requests.get(path, 0)

    def claims(self, user: User, *, exp_in: float = 300, iat_offset: float = 0,
               **overrides) -> dict:
        now = int(time.time())
        claims = {
            "exp": int(now + exp_in), "iat": int(now + iat_offset), "auth_time": now,
            "jti": str(uuid.uuid4()), "iss": self.issuer, "aud": "account", "sub": user.sub,
            "typ": "Bearer", "azp": user.azp, "sid": str(uuid.uuid4()),
            "realm_access": {"roles": list(user.roles)},
            "scope": "openid profile email", "email_verified": False,
            "preferred_username": user.username,
        }
        for name, value in overrides.items():
            if value is REMOVE:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def token(self, user: User, *, key: SigningKey | None = None, exp_in: float = 300,
              **overrides) -> str:
        key = key or self.keys[0]
        return key.sign(self.claims(user, exp_in=exp_in, **overrides))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


REMOVE = object()  # claims(..., sub=REMOVE) drops a claim


# --------------------------------------------------------------------------------------------
# The natter process
# --------------------------------------------------------------------------------------------

def http_request(port: int, method: str, path: str, headers: dict | None = None,
                 body: bytes | None = None, timeout: float = 5):
    """One HTTP request without any proxy: returns (status, headers dict lower-case, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def http_json(port: int, path: str, **kw):
    status, headers, body = http_request(port, "GET", path, **kw)
    try:
        doc = json.loads(body)
    except ValueError:
        raise AssertionError(f"GET {path} -> {status}: body is not JSON: {body[:300]!r}")
    return status, headers, doc


class Natter:
    def __init__(self, args: list[str], env: dict, log_path: Path, port: int):
        self.args = args
        self.port = port
        self.log_path = log_path
        self.expect_exit = False
        self._log = open(log_path, "wb")
        # natter's default store is ./natter.db: each test's natters keep theirs in the
        # test's own directory (shared by the natters of one test, as across a restart).
        self.proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     cwd=log_path.parent)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def wait_ready(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"natter exited with {self.proc.returncode} before it was "
                                     f"ready:\n{self.log_tail()}")
            try:
                status, _, _ = http_request(self.port, "GET", "/healthz", timeout=1)
                if status == 200:
                    return
                last = f"status {status}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        raise AssertionError(f"natter not ready within {timeout}s ({last}):\n{self.log_tail()}")

    def log_text(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def signal(self, sig=signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout: float = 15) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def base_args(port: int, idp: IdentityProvider | None, *, jwks_url: str | None = None,
              issuer: str | None = None) -> list[str]:
    args = [str(natter_binary()), "--listen", f"127.0.0.1:{port}", "--threads", "2"]
    if idp is not None or jwks_url is not None:
        args += ["--jwks-url", jwks_url or idp.jwks_url]
    if idp is not None or issuer is not None:
        args += ["--oidc-issuer", issuer or idp.issuer]
    return args


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NATTER_")}
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
              "ALL_PROXY"):
        env.pop(k, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra or {})
    return env


# --------------------------------------------------------------------------------------------
# WebSocket clients
# --------------------------------------------------------------------------------------------

def ws_uri(natter: Natter, token: str | None = None, *, how: str = "query",
           since: int | None = None) -> str:
    params = {}
    if token is not None and how == "query":
        params["token"] = token
    if since is not None:
        params["since"] = str(since)
    return natter.ws_url + ("?" + urlencode(params) if params else "")


async def ws_connect(natter: Natter, token: str | None = None, *, how: str = "query",
                     since: int | None = None, **kw):
    """Opens a WebSocket with the token given one of the three ways: query, header,
    subprotocol. Raises websockets.exceptions.InvalidStatusCode on a refused upgrade."""
    headers = {}
    subprotocols = None
    if token is not None and how == "header":
        headers["Authorization"] = f"Bearer {token}"
    elif token is not None and how == "subprotocol":
        subprotocols = ["bearer", token]
    kw.setdefault("max_size", 2 ** 22)
    kw.setdefault("ping_interval", None)
    kw.setdefault("open_timeout", 10)
    kw.setdefault("close_timeout", 2)
    ws = await websockets.connect(ws_uri(natter, token, how=how, since=since),
                                  extra_headers=headers, subprotocols=subprotocols, **kw)
    OPEN_WEBSOCKETS.append(ws)
    return ws


OPEN_WEBSOCKETS: list = []  # every client socket of the running test, closed after it


async def close_all_websockets(timeout: float = 2) -> None:
    """Closes what a test left open, so natter's shutdown does not wait on dead peers."""
    sockets = [ws for ws in OPEN_WEBSOCKETS if not ws.closed]
    OPEN_WEBSOCKETS.clear()
    if not sockets:
        return
    try:
        await asyncio.wait_for(asyncio.gather(*(ws.close() for ws in sockets),
                                              return_exceptions=True), timeout)
    except asyncio.TimeoutError:
        for ws in sockets:
            ws.transport.abort()


async def recv_json(ws, timeout: float = 5) -> dict:
    try:
        raw = await asyncio.wait_for(ws.recv(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"no message within {timeout}s") from None
    except websockets.exceptions.ConnectionClosed as e:
        raise AssertionError(f"connection closed while waiting for a message: "
                             f"code={ws.close_code} reason={ws.close_reason!r}") from e
    assert isinstance(raw, str), f"expected a text frame, got binary {raw[:200]!r}"
    try:
        msg = json.loads(raw)
    except ValueError:
        raise AssertionError(f"server sent invalid JSON: {raw[:300]!r}") from None
    assert isinstance(msg, dict), f"server message is not an object: {raw[:300]!r}"
    return msg


async def recv_until(ws, type_: str, timeout: float = 5, skipped: list | None = None) -> dict:
    """Reads until a message of `type_` arrives; others are appended to `skipped`."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {type_!r} message within {timeout}s; got instead: "
                                 f"{[m.get('type') for m in seen]}")
        try:
            msg = await recv_json(ws, remaining)
        except AssertionError as e:
            if "no message within" in str(e):
                raise AssertionError(f"no {type_!r} message within {timeout}s; got instead: "
                                     f"{seen[:10]}") from None
            raise
        if msg.get("type") == type_:
            return msg
        seen.append(msg)
        if skipped is not None:
            skipped.append(msg)


async def assert_no_message(ws, within: float = 0.5, ignore_types: Iterable[str] = ()) -> None:
    ignore = set(ignore_types)
    deadline = time.monotonic() + within
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        try:
            raw = await asyncio.wait_for(ws.recv(), remaining)
        except asyncio.TimeoutError:
            return
        except websockets.exceptions.ConnectionClosed:
            raise AssertionError(f"connection closed unexpectedly: code={ws.close_code} "
                                 f"reason={ws.close_reason!r}") from None
        try:
            msg = json.loads(raw)
        except (ValueError, TypeError):
            msg = None
        if isinstance(msg, dict) and msg.get("type") in ignore:
            continue
        raise AssertionError(f"unexpected message: {raw[:500]!r}")


async def wait_closed(ws, timeout: float = 10, collect: list | None = None) -> int:
    """Reads (and discards, or collects) messages until the server closes; returns the close
    code the server sent (1006 when the connection dropped without a close frame)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"connection still open after {timeout}s")
        try:
            raw = await asyncio.wait_for(ws.recv(), remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"connection still open after {timeout}s") from None
        except websockets.exceptions.ConnectionClosed:
            return ws.close_code
        if collect is not None:
            collect.append(raw)


def check_envelope(msg: dict, type_: str, sender: str = "Server") -> dict:
    assert set(msg) == {"type", "sender", "payload"}, f"envelope keys: {msg}"
    assert msg["type"] == type_, f"expected {type_}, got {msg}"
    assert msg["sender"] == sender, f"expected sender {sender!r}: {msg}"
    assert isinstance(msg["payload"], dict), msg
    return msg["payload"]


def check_timestamp(value: Any, near: float | None = None, slack: float = 30) -> None:
    assert isinstance(value, str) and TIMESTAMP_RE.match(value), \
        f"timestamp not RFC 3339 UTC with 6 fractional digits and Z: {value!r}"
    if near is not None:
        from datetime import datetime, timezone
        t = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        assert abs(t.timestamp() - near) < slack, f"timestamp {value} far from now"


def check_chat_message(msg: dict, author: User, text: str, channel: str = "general") -> dict:
    p = check_envelope(msg, "chat_message", sender=author.username)
    check_chat_payload(p, author, text, channel)
    return p


def check_chat_payload(p: dict, author: User, text: str, channel: str = "general") -> None:
    assert set(p) == CHAT_MESSAGE_KEYS, f"ChatMessage keys (live, no id): {sorted(p)}"
    assert isinstance(p["cacheID"], int) and not isinstance(p["cacheID"], bool), p
    assert p["owner_id"] == author.sub, p
    assert p["username"] == author.username, p
    assert p["channel"] == channel, p
    assert p["message"] == text, p
    check_timestamp(p["authored_at"], near=time.time())


def check_private_message(msg: dict, author: User, recipient: User, text: str) -> dict:
    p = check_envelope(msg, "private_chat_message", sender=author.username)
    check_private_payload(p, author, recipient, text)
    return p


def check_private_payload(p: dict, author: User, recipient: User, text: str) -> None:
    assert set(p) == PRIVATE_MESSAGE_KEYS, f"PrivateChatMessage keys (live): {sorted(p)}"
    assert isinstance(p["cacheID"], int) and not isinstance(p["cacheID"], bool), p
    assert p["owner_id"] == author.sub, p
    assert p["username"] == author.username, p
    assert p["recipient_id"] == recipient.sub, p
    assert p["recipient"] == recipient.username, p
    assert p["message"] == text, p
    check_timestamp(p["authored_at"], near=time.time())


def check_error(msg: dict, code: str, ref: str | None = None) -> dict:
    p = check_envelope(msg, "error")
    expected_keys = {"code", "message"} | ({"retry_after_ms"} if code == "rate_limited" else set())
    if ref is not None:
        expected_keys.add("ref")
    assert set(p) == expected_keys, f"error payload keys {sorted(p)} != {sorted(expected_keys)}: {p}"
    assert p["code"] == code, f"expected error {code}, got {p}"
    assert isinstance(p["message"], str) and p["message"], p
    if ref is not None:
        assert p["ref"] == ref, p
    return p


class Client:
    """One connected WebSocket of one user, with the connect sequence already read."""

    def __init__(self, ws, user: User, sequence: list[dict]):
        self.ws = ws
        self.user = user
        self.sequence = sequence

    @property
    def types(self) -> list[str]:
        return [m["type"] for m in self.sequence]

    def seq(self, type_: str) -> dict | None:
        for m in self.sequence:
            if m["type"] == type_:
                return m
        return None

    async def send(self, msg) -> None:
        await self.ws.send(msg if isinstance(msg, (str, bytes)) else json.dumps(msg))

    async def chat(self, text: str, channel: str = "general", **extra) -> None:
        await self.send({"type": "chat_message", "channel": channel, "message": text, **extra})

    async def whisper(self, to: User | str, text: str, **extra) -> None:
        rid = to.sub if isinstance(to, User) else to
        await self.send({"type": "private_chat_message", "recipient_id": rid, "message": text,
                         **extra})

    async def recv(self, timeout: float = 5) -> dict:
        return await recv_json(self.ws, timeout)

    async def recv_type(self, type_: str, timeout: float = 5) -> dict:
        return await recv_until(self.ws, type_, timeout)

    async def no_message(self, within: float = 0.5, ignore_types: Iterable[str] = ()) -> None:
        await assert_no_message(self.ws, within, ignore_types)

    async def expect_status(self, user: User, online: bool, timeout: float = 5) -> None:
        msg = await self.recv(timeout)
        p = check_envelope(msg, "user_status")
        assert p == user.status(online), f"expected {user.status(online)}, got {p}"

    async def ping(self, timeout: float = 5) -> None:
        """Application ping: proves the session is still open and served."""
        await self.send({"type": "ping"})
        msg = await self.recv(timeout)
        assert msg == {"type": "pong", "sender": "Server", "payload": {}}, msg

    async def close(self) -> None:
        await self.ws.close()


async def read_connect_sequence(ws, timeout: float = 5) -> list[dict]:
    seq = []
    while True:
        msg = await recv_json(ws, timeout)
        seq.append(msg)
        if msg.get("type") == "connected_users":
            return seq
        assert len(seq) < 4, f"connect sequence too long / no connected_users: {seq}"


async def join(natter: Natter, idp: IdentityProvider | None, user: User, *,
               token: str | None = None, how: str = "query", since: int | None = None,
               **kw) -> Client:
    token = token or idp.token(user)
    ws = await ws_connect(natter, token, how=how, since=since, **kw)
    return Client(ws, user, await read_connect_sequence(ws))


# --------------------------------------------------------------------------------------------
# Raw sockets: upgrade by hand, read frames by hand
# --------------------------------------------------------------------------------------------

def _read_http_head(sock: socket.socket, deadline: float) -> tuple[int, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed during HTTP response: {data!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def upgrade_request(port: int, path: str, headers: dict | None = None) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def raw_upgrade(port: int, path: str, headers: dict | None = None,
                timeout: float = 10) -> tuple[int, dict, bytes]:
    """A WebSocket upgrade request by hand; returns (status, headers, body) for a refused
    upgrade (reads the body by Content-Length, chunked, or to EOF)."""
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(upgrade_request(port, path, headers))
        status, hdrs, body = _read_http_head(sock, deadline)
        if status == 101:
            return status, hdrs, b""

        def more() -> bytes:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            return sock.recv(65536)

        if "content-length" in hdrs:
            n = int(hdrs["content-length"])
            while len(body) < n:
                chunk = more()
                if not chunk:
                    break
                body += chunk
            return status, hdrs, body[:n]
        if "chunked" in hdrs.get("transfer-encoding", "").lower():
            out = b""
            while True:
                while b"\r\n" not in body:
                    body += more()
                size_line, body = body.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    return status, hdrs, out
                while len(body) < size + 2:
                    body += more()
                out += body[:size]
                body = body[size + 2:]
        while True:
            chunk = more()
            if not chunk:
                return status, hdrs, body
            body += chunk


class RawWebSocket:
    """A client WebSocket over a plain socket, for misbehaving on purpose: it can refuse to
    read, ignore pings, or have a tiny receive buffer."""

    def __init__(self, port: int, path: str, headers: dict | None = None,
                 rcvbuf: int | None = None, timeout: float = 10):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(upgrade_request(port, path, headers))
        status, self.headers, self.buffer = _read_http_head(self.sock,
                                                            time.monotonic() + timeout)
        assert status == 101, f"upgrade refused: {status}"
        self.eof = False

    def _fill(self, deadline: float) -> bool:
        """Reads more bytes; False on EOF/reset."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(262144)
        except socket.timeout:
            raise TimeoutError from None
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def read_frame(self, timeout: float = 5):
        """Returns (opcode, payload) of the next frame (fragments not joined), or None at
        EOF. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            if self.eof or not self._fill(deadline):
                return None

    def _parse(self):
        b = self.buffer
        if len(b) < 2:
            return None
        opcode = b[0] & 0x0F
        masked = b[1] & 0x80
        length = b[1] & 0x7F
        pos = 2
        if length == 126:
            if len(b) < 4:
                return None
            length = struct.unpack(">H", b[2:4])[0]
            pos = 4
        elif length == 127:
            if len(b) < 10:
                return None
            length = struct.unpack(">Q", b[2:10])[0]
            pos = 10
        if masked:
            pos += 4
        if len(b) < pos + length:
            return None
        payload = b[pos:pos + length]
        self.buffer = b[pos + length:]
        return opcode, payload

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def read_until_closed(self, timeout: float) -> tuple[int | None, list[int]]:
        """Reads and discards frames (never answering pings) until the server closes.
        Returns (close code from a close frame, or None when the connection just ended;
        the opcodes of the frames read). Raises AssertionError when the connection is still
        open after `timeout`."""
        deadline = time.monotonic() + timeout
        opcodes: list[int] = []
        while True:
            try:
                frame = self.read_frame(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                raise AssertionError(f"server did not close the connection within {timeout}s "
                                     f"({len(opcodes)} frames read)") from None
            if frame is None:
                return None, opcodes
            opcode, payload = frame
            opcodes.append(opcode)
            if opcode == 0x8:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                # The server may wait for our close reply or just drop the socket: either way
                # the connection is over once it sent its close frame.
                return code, opcodes

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def readable_within(sock: socket.socket, timeout: float) -> bool:
    r, _, _ = select.select([sock], [], [], timeout)
    return bool(r)
