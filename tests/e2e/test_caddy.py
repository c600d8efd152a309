"""natter behind Debian's real Caddy, configured from deploy/Caddyfile.dev: TLS from Caddy's own
CA (trusted by the test client only), chat over wss://, the REST API over https://, the client's
real address in natter's log through X-Forwarded-For (and only from a trusted proxy), no token
in any log; and /readyz."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import websockets

from natter_e2e import (OPEN_WEBSOCKETS, Client, User, base_args, clean_env, free_port,
                        http_json, http_request, make_user, read_connect_sequence)

REPO = Path(__file__).resolve().parents[2]
CADDYFILE_DEV = REPO / "deploy" / "Caddyfile.dev"
SITE = "natter.localhost"
UPSTREAM = "reverse_proxy 127.0.0.1:8080"


class Caddy:
    """`caddy run` on free high ports with the dev Caddyfile; its data (the local CA) lives in
    the test's directory, and nothing is installed into any trust store."""

    def __init__(self, tmp_path: Path, natter_port: int):
        binary = shutil.which("caddy")
        if binary is None:
            pytest.fail("caddy is not installed (scripts/install-deps installs Debian's caddy)")
        self.https_port = free_port()
        self.http_port = free_port()
        self.dir = tmp_path / "caddy"
        self.dir.mkdir()
        self.config = self.dir / "Caddyfile"
        self.config.write_text(self._caddyfile(natter_port))
        env = {k: v for k, v in os.environ.items()}
        env.update(HOME=str(self.dir / "home"), XDG_DATA_HOME=str(self.dir / "data"),
                   XDG_CONFIG_HOME=str(self.dir / "config"))
        self.log_path = self.dir / "caddy.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "run", "--config", str(self.config), "--adapter", "caddyfile"], env=env,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.dir)
        self.root_cert = self.dir / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        self._wait_ready()
        self.ssl = ssl.create_default_context(cafile=str(self.root_cert))

    def _caddyfile(self, natter_port: int) -> str:
        """deploy/Caddyfile.dev as it is, with test ports and nothing installed system-wide."""
        text = CADDYFILE_DEV.read_text()
        assert text.count(UPSTREAM) == 1, f"Caddyfile.dev should hold `{UPSTREAM}` once"
        assert f"\n{SITE} {{" in text and "tls internal" in text and "local_certs" in text
        text = text.replace(UPSTREAM, f"reverse_proxy 127.0.0.1:{natter_port}")
        test_globals = (f"\thttp_port {self.http_port}\n\thttps_port {self.https_port}\n"
                        "\tauto_https disable_redirects\n\tskip_install_trust\n\tadmin off\n")
        text, n = re.subn(r"^\{\n", "{\n" + test_globals, text, count=1, flags=re.M)
        assert n == 1, "Caddyfile.dev should open with a global options block"
        return text

    def _wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"caddy exited with {self.proc.returncode}:\n"
                                     f"{self.log_text()[-4000:]}")
            if self.root_cert.is_file():
                try:
                    context = ssl.create_default_context(cafile=str(self.root_cert))
                    status, _, _ = self.request("GET", "/healthz", context=context, timeout=2)
                    if status == 200:
                        return
                    last = f"status {status}"
                except (OSError, ssl.SSLError) as e:
                    last = repr(e)
            time.sleep(0.1)
        raise AssertionError(f"caddy not serving https within {timeout}s ({last}):\n"
                             f"{self.log_text()[-4000:]}")

    def connect_tls(self, source: str = "127.0.0.1", context: ssl.SSLContext | None = None,
                    timeout: float = 5) -> ssl.SSLSocket:
        sock = socket.create_connection(("127.0.0.1", self.https_port), timeout=timeout,
                                        source_address=(source, 0))
        return (context or self.ssl).wrap_socket(sock, server_hostname=SITE)

    def request(self, method: str, path: str, headers: dict | None = None,
                source: str = "127.0.0.1", context: ssl.SSLContext | None = None,
                timeout: float = 5):
        """One HTTPS request to the site: (status, lower-case headers, body)."""
        conn = http.client.HTTPSConnection(SITE, self.https_port, timeout=timeout)
        conn.sock = self.connect_tls(source, context, timeout)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def get_json(self, path: str, **kw):
        status, headers, body = self.request("GET", path, **kw)
        return status, headers, json.loads(body)

    async def join(self, token: str, user: User, source: str = "127.0.0.1") -> Client:
        sock = socket.create_connection(("127.0.0.1", self.https_port), timeout=5,
                                        source_address=(source, 0))
        sock.setblocking(False)
        uri = f"wss://{SITE}:{self.https_port}/ws?" + urlencode({"token": token})
        ws = await websockets.connect(uri, sock=sock, ssl=self.ssl, server_hostname=SITE,
                                      ping_interval=None, open_timeout=10, close_timeout=2)
        OPEN_WEBSOCKETS.append(ws)
        return Client(ws, user, await read_connect_sequence(ws))

    def log_text(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture
def start_caddy(tmp_path):
    started: list[Caddy] = []

    def start(natter_port: int) -> Caddy:
        caddy = Caddy(tmp_path, natter_port)
        started.append(caddy)
        return caddy

    yield start
    for caddy in started:
        caddy.stop()


async def test_chat_and_rest_through_caddy_over_tls(start_natter, start_caddy, idp):
    natter = start_natter("--trusted-proxies", "127.0.0.1", "--log-level", "debug")
    caddy = start_caddy(natter.port)
    alice, bob = make_user("alice"), make_user("bob")
    alice_token, bob_token = idp.token(alice), idp.token(bob)

    # Alice comes from 127.0.0.2, Bob from 127.0.0.1: natter sees only Caddy (127.0.0.1) as
    # its TCP peer, so the addresses it logs can only have come from X-Forwarded-For.
    a = await caddy.join(alice_token, alice, source="127.0.0.2")
    b = await caddy.join(bob_token, bob, source="127.0.0.1")
    await a.expect_status(bob, True)
    await a.chat("hello over wss")
    for c in (a, b):
        m = await c.recv_type("chat_message")
        assert m["payload"]["message"] == "hello over wss"
        assert m["payload"]["username"] == "alice"
    await b.whisper(alice, "psst")
    m = await a.recv_type("private_chat_message")
    assert m["payload"]["message"] == "psst"

    # The REST API and the plain routes over https://. A client's own X-Forwarded-For is
    # dropped by Caddy (it does not trust the client), so it cannot forge its address.
    status, _, doc = caddy.get_json("/channels", source="127.0.0.2",
                                    headers={"Authorization": f"Bearer {bob_token}",
                                             "X-Forwarded-For": "203.0.113.9"})
    assert status == 200, doc
    assert [c["name"] for c in doc["channels"]] == ["general"]
    status, _, doc = caddy.get_json("/channels")
    assert status == 401, doc
    status, _, doc = caddy.get_json("/healthz")
    assert (status, doc) == (200, {"status": "ok"})
    status, _, doc = caddy.get_json("/readyz")
    assert (status, doc) == (200, {"status": "ready"})
    status, _, _ = caddy.request("GET", "/not-natter")
    assert status == 404
    # The web app's paths reach natter: the same answer as natter's own, with its headers.
    for path in ("/", "/chat/general", "/admin/users", "/assets/none.js"):
        direct, _, _ = http_request(natter.port, "GET", path)
        status, headers, _ = caddy.request("GET", path)
        assert status == direct, path
        if status == 200:
            assert "frame-ancestors 'none'" in headers["content-security-policy"]

    # X-Forwarded-Proto from the trusted proxy: /discovery names https and wss URLs.
    status, _, doc = caddy.get_json("/discovery")
    assert status == 200
    assert doc["chat_url"] == f"wss://{SITE}:{caddy.https_port}/ws", doc
    assert doc["server_health_url"] == f"https://{SITE}:{caddy.https_port}/healthz", doc

    # Only the test client trusts Caddy's CA: without it the handshake fails.
    with pytest.raises(ssl.SSLCertVerificationError):
        caddy.request("GET", "/healthz", context=ssl.create_default_context())

    await a.close()
    await b.close()
    log = natter.log_text()
    assert re.search(r'event=connect user=alice .* remote="127\.0\.0\.2 \(via 127\.0\.0\.1:\d+\)"',
                     log), log
    assert re.search(r'event=connect user=bob .* remote="127\.0\.0\.1 \(via 127\.0\.0\.1:\d+\)"',
                     log), log
    assert re.search(r"http GET /channels from 127\.0\.0\.2 \(via 127\.0\.0\.1:\d+\): 200", log), log
    assert "203.0.113.9" not in log
    assert "/ws?token=***" in log, "the upgrade's target is logged, redacted"
    for token in (alice_token, bob_token):
        for text, who in ((log, "natter"), (caddy.log_text(), "caddy")):
            assert token not in text and token.split(".")[2] not in text, f"{who} logged a token"


def test_forwarded_headers_are_ignored_from_untrusted_peers(start_natter):
    natter = start_natter("--trusted-proxies", "10.0.0.0/8", "--log-level", "debug")
    with socket.create_connection(("127.0.0.1", natter.port), source_address=("127.0.0.2", 0),
                                  timeout=5) as sock:
        sock.sendall(b"GET /discovery HTTP/1.1\r\nHost: chat.test\r\n"
                     b"X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"
                     b"Connection: close\r\n\r\n")
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert json.loads(body)["chat_url"] == "ws://chat.test/ws"
    time.sleep(0.2)
    log = natter.log_text()
    assert re.search(r"http GET /discovery from 127\.0\.0\.2:\d+: 200", log), log
    assert "203.0.113.9" not in log


def test_bad_trusted_proxies_stop_startup():
    args = base_args(free_port(), None, jwks_url="http://127.0.0.1:9/jwks")
    proc = subprocess.run(args + ["--trusted-proxies", "127.0.0.1,not-an-ip"], env=clean_env(),
                          capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc
    assert "NATTER_TRUSTED_PROXIES" in proc.stderr and "not-an-ip" in proc.stderr, proc.stderr


def test_readyz_needs_loaded_keys_and_answers_only_get(start_natter):
    # A JWKS that never answers: alive (healthz) but not ready.
    dead = free_port()
    natter = start_natter(base=True, provider=None, jwks_url=f"http://127.0.0.1:{dead}/jwks")
    status, _, doc = http_json(natter.port, "/readyz")
    assert status == 503
    assert doc == {"status": "unready", "reasons": ["keys_not_loaded"]}
    status, _, _ = http_json(natter.port, "/healthz")
    assert status == 200
    status, headers, _ = http_request(natter.port, "POST", "/readyz")
    assert status == 405 and headers.get("allow") == "GET, HEAD"


def test_readyz_is_ready_in_dev_mode_and_head_works(start_natter):
    port = free_port()
    natter = start_natter("--dev", "--listen", f"127.0.0.1:{port}", base=False, port=port)
    status, _, doc = http_json(natter.port, "/readyz")
    assert (status, doc) == (200, {"status": "ready"})
    status, _, body = http_request(natter.port, "HEAD", "/readyz")
    assert status == 200 and body == b""


def test_production_caddyfile_names_a_missing_domain():
    """Caddyfile.prod without NATTER_DOMAIN stops Caddy with an error that names it; with it,
    the configuration adapts and serves that domain."""
    prod = REPO / "deploy" / "Caddyfile.prod"
    env = {k: v for k, v in os.environ.items() if k != "NATTER_DOMAIN"}
    out = subprocess.run(["caddy", "adapt", "--config", str(prod), "--adapter", "caddyfile"],
                         capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode != 0
    assert "NATTER_DOMAIN-is-not-set" in out.stderr, out.stderr
    env["NATTER_DOMAIN"] = "chat.example.org"
    out = subprocess.run(["caddy", "adapt", "--config", str(prod), "--adapter", "caddyfile"],
                         capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0, out.stderr
    assert '"chat.example.org"' in out.stdout
