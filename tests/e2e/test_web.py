"""The browser app as natter serves it, seen from an HTTP client: the app's pages and files,
their cache and security headers, ETag revalidation, gzip, the REST routes left alone, the
settings that turn it off or serve a directory, and a directory never left."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from natter_e2e import http_json, http_request

PAGES = ["/", "/chat", "/chat/general", "/chat/@someone", "/admin", "/admin/users/42"]
IMMUTABLE = "public, max-age=31536000, immutable"
INDEX = b"<!doctype html><title>natter test</title><script src=/assets/app-1.js></script>\n"
SCRIPT = b"console.log('natter');\n" * 200


@pytest.fixture
def app_dir(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "app-1.js").write_bytes(SCRIPT)
    (root / "assets" / "app-1.js.gz").write_bytes(gzip.compress(SCRIPT, mtime=0))
    (tmp_path / "secret.txt").write_text("outside the root")
    return root


@pytest.fixture
def served(start_natter, app_dir):
    return start_natter("--web-root", str(app_dir))


def check_security_headers(headers: dict, issuer_origin: str | None = None) -> None:
    csp = headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert "'unsafe-eval'" not in csp and "'unsafe-inline'" not in directives["script-src"]
    assert directives["connect-src"][0] == "'self'"
    if issuer_origin:
        assert issuer_origin in directives["connect-src"]
        assert issuer_origin in directives["form-action"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_pages_are_index_html_never_cached_without_revalidation(served, idp):
    for path in PAGES:
        status, headers, body = http_request(served.port, "GET", path)
        assert status == 200, path
        assert body == INDEX, path
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["cache-control"] == "no-cache"
        assert re.fullmatch(r'"[0-9a-f]{16}"', headers["etag"])
        check_security_headers(headers, "http://127.0.0.1:%d" % idp.port)


def test_hashed_files_are_immutable_and_unknown_ones_are_json_404(served):
    status, headers, body = http_request(served.port, "GET", "/assets/app-1.js")
    assert status == 200 and body == SCRIPT
    assert headers["cache-control"] == IMMUTABLE
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    check_security_headers(headers)
    status, headers, doc = http_json(served.port, "/assets/app-0.js")
    assert status == 404
    assert doc["error"]["code"] == "not_found"


def test_etag_revalidation_answers_304(served):
    _, headers, _ = http_request(served.port, "GET", "/chat")
    status, again, body = http_request(served.port, "GET", "/admin",
                                       headers={"If-None-Match": headers["etag"]})
    assert status == 304 and body == b""
    assert again["etag"] == headers["etag"]
    status, _, body = http_request(served.port, "GET", "/chat",
                                   headers={"If-None-Match": '"0000000000000000"'})
    assert status == 200 and body == INDEX


def test_gzip_when_accepted(served):
    status, headers, body = http_request(served.port, "GET", "/assets/app-1.js",
                                         headers={"Accept-Encoding": "gzip, br"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == SCRIPT
    plain_status, plain, body = http_request(served.port, "GET", "/assets/app-1.js",
                                             headers={"Accept-Encoding": "identity"})
    assert plain_status == 200 and body == SCRIPT and "content-encoding" not in plain
    assert plain["etag"] != headers["etag"]  # two representations, two strong tags


def test_head_has_headers_and_no_body(served):
    status, headers, body = http_request(served.port, "HEAD", "/chat")
    assert status == 200 and body == b""
    assert int(headers["content-length"]) == len(INDEX)


def test_other_methods_are_refused(served):
    status, headers, _ = http_request(served.port, "POST", "/admin", body=b"{}")
    assert status == 405
    assert headers["allow"] == "GET, HEAD"


def test_rest_routes_are_not_shadowed(served, idp):
    for path in ("/channels", "/messages", "/users", "/users/bans", "/activity/sessions",
                 "/activity/channels", "/ratelimits"):
        status, headers, doc = http_json(served.port, path)
        assert status == 401, path
        assert headers["content-type"] == "application/json", path
    assert http_json(served.port, "/healthz")[2] == {"status": "ok"}
    assert http_json(served.port, "/discovery")[0] == 200
    status, _, _ = http_request(served.port, "GET", "/ws")
    assert status == 426
    assert http_request(served.port, "GET", "/metrics")[1]["content-type"].startswith(
        "text/plain")
    status, _, doc = http_json(served.port, "/nothing-here")
    assert status == 404 and doc["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", [
    "/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt",
    "/assets/.%2e/index.html", "/../secret.txt", "/assets//etc/passwd", "/assets/.hidden",
])
def test_traversal_is_refused(served, path):
    status, _, body = http_request(served.port, "GET", path)
    assert status == 404
    assert b"outside the root" not in body


def test_web_off_answers_404_as_before(start_natter, app_dir):
    natter = start_natter("--web-root", str(app_dir), env={"NATTER_WEB": "false"})
    for path in PAGES + ["/assets/app-1.js"]:
        status, headers, doc = http_json(natter.port, path)
        assert status == 404, path
        assert doc["error"]["code"] == "not_found"
        assert "content-security-policy" not in headers


def test_web_root_must_be_a_directory(start_natter, tmp_path):
    natter = start_natter("--web-root", str(tmp_path / "missing"), wait=False)
    natter.expect_exit = True
    assert natter.wait(10) == 2
    assert "NATTER_WEB_ROOT" in natter.log_text()


def test_discovery_tells_the_app_how_to_sign_in(start_natter, idp):
    natter = start_natter("--max-message-bytes", "2000", env={"NATTER_WEB_CLIENT_ID": "chat-ui"})
    status, _, doc = http_json(natter.port, "/discovery")
    assert status == 200
    assert doc["dev"] is False
    assert doc["oidc_issuer"] == idp.issuer
    assert doc["web_client_id"] == "chat-ui"
    assert doc["max_message_bytes"] == 2000
    assert {"auth_url", "chat_client", "chat_url", "token_url", "health_url", "server_name",
            "server_id"} <= doc.keys()


def test_dev_discovery(start_natter):
    natter = start_natter("--dev", provider=None)
    doc = http_json(natter.port, "/discovery")[2]
    assert doc["dev"] is True and doc["oidc_issuer"] == "" and doc["web_client_id"] == "natter-web"


def test_the_built_in_app(start_natter):
    """The app embedded in this binary, when it was built with one: index.html names hashed
    files under /assets/, each served immutable, gzip where it was smaller."""
    natter = start_natter()
    status, headers, body = http_request(natter.port, "GET", "/")
    if status == 404:
        pytest.skip("this binary was built without the web app")
    assert status == 200 and headers["cache-control"] == "no-cache"
    check_security_headers(headers)
    assets = re.findall(rb'(?:src|href)="(/assets/[^"]+)"', body)
    assert assets, body[:500]
    for asset in assets:
        status, headers, data = http_request(natter.port, "GET", asset.decode(),
                                             headers={"Accept-Encoding": "gzip"})
        assert status == 200, asset
        assert headers["cache-control"] == IMMUTABLE
        if headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        assert data
    assert b"<script>" not in body and "unsafe-inline" not in headers[
        "content-security-policy"].split("script-src")[1].split(";")[0]


def fnv1a64_etag(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f'"{h:016x}"'


def test_the_built_in_app_is_the_build_output_byte_for_byte(start_natter):
    """Every file of the app's build (build/web-dist/dist, shared by the presets) comes back
    from the binary unchanged, with the ETag of its bytes, and its gzip variant (when there is
    one) unpacks to the same bytes."""
    dist = Path(__file__).resolve().parents[2] / "build" / "web-dist" / "dist"
    if not (dist / "index.html").is_file():
        pytest.skip("no web app build output in build/web-dist")
    natter = start_natter()
    status, _, index = http_request(natter.port, "GET", "/index.html")
    if status != 200 or index != (dist / "index.html").read_bytes():
        pytest.skip("this binary embeds another build of the app")
    for file in sorted(p for p in dist.rglob("*") if p.is_file()):
        path = "/" + file.relative_to(dist).as_posix()
        data = file.read_bytes()
        status, headers, body = http_request(natter.port, "GET", path)
        assert status == 200 and body == data, path
        assert headers["etag"] == fnv1a64_etag(data), path
        status, headers, packed = http_request(natter.port, "GET", path,
                                               headers={"Accept-Encoding": "gzip"})
        if headers.get("content-encoding") == "gzip":
            assert len(packed) < len(data) and gzip.decompress(packed) == data, path
