"""Harness for natter's multi-instance tests: a throwaway Redis/Valkey server that a test can
kill and start again on the same port, a minimal RESP client to look inside it, psql queries
against the throwaway PostgreSQL, N natter instances sharing both, and a background reader
that records everything a WebSocket client receives.

Only Debian's packages are used: redis-server (and its redis-cli), postgresql-15, python3.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import websockets

from natter_e2e import Client, Natter, free_port, http_request

REDIS_SERVER = os.environ.get("NATTER_REDIS_SERVER", "/usr/bin/redis-server")
PSQL_CANDIDATES = ("/usr/lib/postgresql/15/bin/psql", "/usr/bin/psql")


# --------------------------------------------------------------------------------------------
# RESP: just enough of the Redis protocol to send a command and read its reply
# --------------------------------------------------------------------------------------------

class RespError(Exception):
    """An error reply (`-ERR ...`) from the server."""


def _encode_command(args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, (int, float)):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespConnection:
    """One blocking connection to a Redis server on 127.0.0.1."""

    def __init__(self, port: int, timeout: float = 5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ConnectionError(f"unexpected RESP reply: {line[:100]!r}")

    def command(self, *args) -> Any:
        self.sock.sendall(_encode_command(args))
        return self._reply()


# --------------------------------------------------------------------------------------------
# The Redis server
# --------------------------------------------------------------------------------------------

class Redis:
    """A redis-server without persistence in its own temporary directory, on a fixed port once
    chosen: kill() (SIGKILL, data gone), shutdown() (SHUTDOWN NOSAVE) and start() again on the
    same port, as a Valkey restart looks to natter."""

    def __init__(self, port: int | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="natter-redis."))
        self.proc: subprocess.Popen | None = None
        self.port = port or 0
        self.starts = 0
        # A port found free can be taken before the server binds it: try a few.
        for attempt in range(5):
            if not port:
                self.port = free_port()
            try:
                self.start()
                return
            except RuntimeError:
                if port or attempt == 4:
                    raise

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.dir / "redis.log"

    def start(self, timeout: float = 10) -> None:
        assert not self.running(), "redis is already running"
        self.starts += 1
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [REDIS_SERVER, "--save", "", "--appendonly", "no", "--port", str(self.port),
                 "--bind", "127.0.0.1", "--daemonize", "no", "--dir", str(self.dir),
                 "--protected-mode", "no"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.dir)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} exited with "
                                   f"{self.proc.returncode}:\n{self.log_tail()}")
            try:
                if self.command("PING") == "PONG":
                    return
            except (OSError, ConnectionError, RespError):
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server on port {self.port} did not answer PING "
                                   f"within {timeout}s:\n{self.log_tail()}")
            time.sleep(0.02)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: everything in memory is gone, connections drop at once."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def shutdown(self) -> None:
        """SHUTDOWN NOSAVE: an orderly stop that keeps nothing."""
        if not self.running():
            return
        try:
            self.command("SHUTDOWN", "NOSAVE")
        except (OSError, ConnectionError, RespError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def command(self, *args, timeout: float = 5) -> Any:
        with RespConnection(self.port, timeout) as conn:
            return conn.command(*args)

    def keys(self, pattern: str = "*") -> list[str]:
        """Every key (SCAN, not KEYS, so a big keyspace does not stall the server)."""
        found: list[str] = []
        with RespConnection(self.port) as conn:
            cursor = b"0"
            while True:
                cursor, batch = conn.command("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
                found += [k.decode("utf-8", "replace") for k in batch]
                if cursor in (b"0", "0"):
                    return sorted(set(found))

    def describe(self) -> str:
        """A short picture of the keyspace (for failure reports)."""
        if not self.running():
            return f"redis on port {self.port} is not running"
        try:
            lines = []
            for key in self.keys()[:50]:
                kind = self.command("TYPE", key)
                lines.append(f"{key} ({kind})")
            return "\n".join(lines) or "(no keys)"
        except Exception as e:  # a report must not fail the report
            return f"cannot read redis: {e!r}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# PostgreSQL, read directly
# --------------------------------------------------------------------------------------------

def psql_binary() -> str:
    for candidate in PSQL_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("psql")
    if not found:
        raise AssertionError("psql not found")
    return found


def psql_rows(url: str, sql: str, timeout: float = 15) -> list[list[str]]:
    """Runs one query with psql; returns its rows as lists of text fields (NULL is '')."""
    result = subprocess.run([psql_binary(), url, "-X", "-A", "-t", "-q", "-v",
                             "ON_ERROR_STOP=1", "-F", "\x1f", "-R", "\x1e", "-c", sql],
                            capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise AssertionError(f"psql failed ({result.returncode}) on {sql!r}: "
                             f"{result.stderr.strip()}")
    out = result.stdout
    if out.endswith("\n"):
        out = out[:-1]
    return [row.split("\x1f") for row in out.split("\x1e") if row != ""]


def stored_public(url: str) -> list[tuple[int, str, str]]:
    """Every stored public message as (cache_id, owner_id, message), by cache_id."""
    return [(int(c), o, m) for c, o, m in
            psql_rows(url, "SELECT cache_id, owner_id, message FROM chat_messages "
                           "ORDER BY cache_id")]


def rest(natter: Natter, method: str, path: str, token: str, body=None,
         timeout: float = 15) -> tuple[int, Any]:
    """One REST call with a bearer token: (status, JSON body or None)."""
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    status, _, payload = http_request(natter.port, method, path, headers=headers, body=data,
                                      timeout=timeout)
    try:
        return status, (json.loads(payload) if payload else None)
    except ValueError:
        raise AssertionError(f"{method} {path} -> {status}: body is not JSON: "
                             f"{payload[:300]!r}") from None


# --------------------------------------------------------------------------------------------
# Several natter instances on one Valkey and one PostgreSQL
# --------------------------------------------------------------------------------------------

FAST = ("--rate-limit", "1000000/1", "--max-messages-per-second", "100000")


def wait_ready(natter: Natter, timeout: float = 15) -> None:
    """Waits for /readyz 200 (the store answers, keys are loaded), beyond /healthz."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if natter.proc.poll() is not None:
            raise AssertionError(f"natter exited with {natter.proc.returncode} before it was "
                                 f"ready:\n{natter.log_tail()}")
        try:
            status, _, body = http_request(natter.port, "GET", "/readyz", timeout=2)
            if status == 200:
                return
            last = f"{status} {body[:200]!r}"
        except OSError as e:
            last = repr(e)
        time.sleep(0.1)
    raise AssertionError(f"natter on port {natter.port} not ready within {timeout}s ({last}):"
                         f"\n{natter.log_tail()}")


def start_instances(start_natter: Callable[..., Natter], count: int, valkey: Redis,
                    database_url: str, *extra, presence_timeout: float | None = 3,
                    env: dict | None = None) -> list[Natter]:
    """Starts `count` natters sharing `valkey` and the PostgreSQL at `database_url`. The Valkey
    URL and presence timeout go by environment (NATTER_VALKEY_URL, NATTER_PRESENCE_TIMEOUT),
    the database by flag; `extra` are more flags (FAST when none are given)."""
    settings = {"NATTER_VALKEY_URL": valkey.url}
    if presence_timeout is not None:
        settings["NATTER_PRESENCE_TIMEOUT"] = str(presence_timeout)
    settings.update(env or {})
    flags = extra or FAST
    instances = [start_natter("--database-url", database_url, *flags, env=settings)
                 for _ in range(count)]
    for n in instances:
        wait_ready(n)
    return instances


# --------------------------------------------------------------------------------------------
# A client whose every received message is recorded in the background
# --------------------------------------------------------------------------------------------

class Feed:
    """Reads one client's WebSocket in a background task and keeps every message, so a test can
    wait for what it expects whatever else arrives in between (presence from other instances,
    interleaved chat). `closed` is the close code once the connection has ended."""

    def __init__(self, client: Client, name: str | None = None):
        self.client = client
        self.name = name or client.user.username
        self.messages: list[dict] = []
        self.times: list[float] = []
        self.closed: int | None = None
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        ws = self.client.ws
        try:
            while True:
                raw = await ws.recv()
                try:
                    msg = json.loads(raw)
                except (ValueError, TypeError):
                    msg = {"type": "<not json>", "raw": raw[:300]}
                if not isinstance(msg, dict):
                    msg = {"type": "<not an object>", "raw": raw[:300]}
                self.messages.append(msg)
                self.times.append(time.monotonic())
                self._changed.set()
        except websockets.exceptions.ConnectionClosed:
            pass
        except asyncio.CancelledError:
            raise
        finally:
            self.closed = ws.close_code if ws.close_code is not None else 1006
            self._changed.set()

    # --- looking -----------------------------------------------------------------------------

    def of_type(self, type_: str) -> list[dict]:
        return [m["payload"] for m in self.messages if m.get("type") == type_]

    def chats(self) -> list[dict]:
        """The chat_message payloads received, in arrival order."""
        return self.of_type("chat_message")

    def chat_ids(self) -> list[int]:
        return [p["cacheID"] for p in self.chats()]

    def errors(self) -> list[dict]:
        return self.of_type("error")

    def statuses(self, user) -> list[bool]:
        return [p["status"] for p in self.of_type("user_status") if p.get("id") == user.sub]

    def summary(self, last: int = 12) -> str:
        types: dict[str, int] = {}
        for m in self.messages:
            types[m.get("type", "?")] = types.get(m.get("type", "?"), 0) + 1
        tail = [json.dumps(m)[:200] for m in self.messages[-last:]]
        return (f"feed {self.name}: {len(self.messages)} messages {types}, closed={self.closed}"
                f"; last: " + "\n  ".join(tail))

    # --- waiting -----------------------------------------------------------------------------

    async def until(self, predicate: Callable[["Feed"], Any], timeout: float, what: str) -> Any:
        """Waits until predicate(self) is truthy; returns its value. Fails with `what`."""
        deadline = time.monotonic() + timeout
        while True:
            self._changed.clear()
            value = predicate(self)
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: {what} not within {timeout}s\n"
                                     f"{self.summary()}")
            if self.closed is not None:
                raise AssertionError(f"{self.name}: connection closed ({self.closed}) while "
                                     f"waiting for {what}\n{self.summary()}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def find(self, predicate: Callable[[dict], bool], timeout: float, what: str,
                   start: int = 0) -> dict:
        """Waits for the first message at index >= start for which predicate(msg) holds."""
        def look(feed):
            for m in feed.messages[start:]:
                if predicate(m):
                    return m
            return None
        return await self.until(look, timeout, what)

    async def ping(self, timeout: float = 5) -> None:
        """An application ping answered through the recorder: the session is open and served."""
        start = len(self.messages)
        await self.client.send({"type": "ping"})
        await self.find(lambda m: m.get("type") == "pong", timeout, "a pong", start)

    async def wait_closed(self, timeout: float) -> int:
        await self.until(lambda f: f.closed is not None, timeout, "the server closing")
        return self.closed

    def stop(self) -> None:
        self._task.cancel()


def is_chat(text: str) -> Callable[[dict], bool]:
    return lambda m: m.get("type") == "chat_message" and m["payload"].get("message") == text


def check_increasing(feed: Feed) -> None:
    """Chat messages arrived in strictly increasing cacheID order, each once."""
    ids = feed.chat_ids()
    bad = [(a, b) for a, b in zip(ids, ids[1:]) if b <= a]
    assert not bad, f"{feed.name}: cacheIDs not strictly increasing at {bad[:5]} " \
                    f"(of {len(ids)} messages)"
