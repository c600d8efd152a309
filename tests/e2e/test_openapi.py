"""docs/openapi.yaml against the real server: every response natter gives to the requests
below must be a status the document lists for that operation, with a body its schema accepts
(Draft 2020-12, `additionalProperties: false` where the contract is exact) and the headers it
requires. Every operation and every status the document lists is exercised, and the document's paths are exactly the routes natter's source serves, so the
document and the server cannot drift apart."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import socket
from pathlib import Path

import jsonschema
import pytest
import websockets
import yaml

from natter_e2e import REPO, free_port, http_request

SPEC = yaml.safe_load((REPO / "docs" / "openapi.yaml").read_text())
METHODS = ("get", "post", "patch", "put", "delete")
exercised: set[tuple[str, str, str]] = set()


def resolve(node, seen=()):
    """The document with every local $ref replaced by its target (siblings of a $ref are
    kept alongside it with allOf). The document has no recursive references."""
    if isinstance(node, list):
        return [resolve(n, seen) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/") and ref not in seen, ref
        target = SPEC
        for part in ref[2:].split("/"):
            target = target[part]
        resolved = resolve(target, seen + (ref,))
        rest = {k: v for k, v in node.items() if k != "$ref"}
        if not rest:
            return resolved
        return {"allOf": [resolved, resolve(rest, seen)]}
    return {k: resolve(v, seen) for k, v in node.items()}


RESOLVED = resolve(copy.deepcopy(SPEC))


def operation(path: str, method: str) -> dict:
    assert path in RESOLVED["paths"], f"{path} is not in docs/openapi.yaml"
    item = RESOLVED["paths"][path]
    assert method in item, f"{method.upper()} {path} is not in docs/openapi.yaml"
    return item[method]


def validate(schema: dict, instance, where: str) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, (f"{where}: {json.dumps(instance)[:400]}\n"
                        + "\n".join(f"  at {list(e.path)}: {e.message}" for e in errors[:5]))


def check_response(path: str, method: str, status: int, headers: dict, body: bytes,
                   response: dict | None = None) -> object:
    """Checks one real response against the document; returns the parsed body."""
    where = f"{method.upper()} {path} -> {status}"
    if response is None:
        responses = operation(path, method)["responses"]
        assert str(status) in responses, (f"{where} is not a documented status "
                                          f"({sorted(responses)}): {body[:300]!r}")
        response = responses[str(status)]
        exercised.add((path, method, str(status)))
    for name, header in response.get("headers", {}).items():
        value = headers.get(name.lower())
        if header.get("required"):
            assert value is not None, f"{where}: no {name} header"
        if value is not None:
            validate(header["schema"], value, f"{where} header {name}")
    content = response.get("content")
    if not content:
        assert not body, f"{where}: a body where the document has none: {body[:200]!r}"
        return None
    media = headers.get("content-type", "").split(";")[0].strip()
    assert media in content, f"{where}: Content-Type {media!r}, documented {sorted(content)}"
    doc = json.loads(body) if media == "application/json" else body.decode()
    validate(content[media]["schema"], doc, where)
    return doc


class Client:
    """Calls natter and checks every answer against the document."""

    def __init__(self, port: int, token: str | None = None):
        self.port = port
        self.token = token

    def call(self, method: str, target: str, body=None, *, token: str | None = "default",
             raw: bytes | None = None, expect: int | None = None):
        path = target.split("?", 1)[0]
        headers = {}
        token = self.token if token == "default" else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
            request_schema = operation(path, method.lower()).get("requestBody")
            if request_schema and expect is not None and expect < 300:
                validate(request_schema["content"]["application/json"]["schema"], body,
                         f"request body of {method} {path}")
        status, resp_headers, payload = http_request(self.port, method, target,
                                                     headers=headers, body=data, timeout=10)
        doc = check_response(path, method.lower(), status, resp_headers, payload)
        if expect is not None:
            assert status == expect, (method, target, status, doc)
        return status, resp_headers, doc


def dev_token(port: int, username: str, admin: bool = False) -> str:
    status, _, body = http_request(port, "GET", f"/dev/token?username={username}"
                                   + ("&admin=1" if admin else ""))
    assert status == 200, body
    return body.decode()


def raw_upgrade(port: int, target: str, headers: dict | None = None):
    """A WebSocket upgrade by hand: returns (status, lower-case headers, body)."""
    lines = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
             "Sec-WebSocket-Version: 13"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        hdrs = {k.strip().lower(): v.strip()
                for k, v in (h.split(":", 1) for h in header_lines if ":" in h)}
        status = int(status_line.split()[1])
        length = int(hdrs.get("content-length", "0")) if status != 101 else 0
        while len(rest) < length:
            chunk = s.recv(4096)
            if not chunk:
                break
            rest += chunk
    return status, hdrs, rest[:length]


def upgrade(port: int, target: str, headers: dict | None = None) -> int:
    status, hdrs, body = raw_upgrade(port, target, headers)
    check_response("/ws", "get", status, hdrs, body)
    return status


@pytest.fixture
def dev_natter(start_natter):
    return start_natter("--dev", "--database-url", "sqlite::memory:", "--max-body-bytes", "4096",
                        "--rate-limit", "1000000/1", provider=None)


async def chat(port: int) -> None:
    """alice and bob connect, alice says something in general and whispers to bob."""
    alice, bob = dev_token(port, "alice"), dev_token(port, "bob")
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws?token={alice}") as a, \
            websockets.connect(f"ws://127.0.0.1:{port}/ws?token={bob}") as b:
        await a.send(json.dumps({"type": "chat_message", "channel": "general",
                                 "message": "the printer is on fire"}))
        await a.send(json.dumps({"type": "private_chat_message", "recipient_id": "dev-bob",
                                 "message": "psst"}))
        for ws in (a, b):
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if frame["type"] == "private_chat_message":
                    break


async def test_every_operation_answers_as_documented(dev_natter):
    port = dev_natter.port
    admin = Client(port, dev_token(port, "root", admin=True))
    plain = Client(port, dev_token(port, "plain"))
    anonymous = Client(port)
    await chat(port)

    # Service routes.
    anonymous.call("GET", "/discovery", expect=200)
    anonymous.call("GET", "/healthz", expect=200)
    anonymous.call("GET", "/readyz", expect=200)
    _, _, text = anonymous.call("GET", "/metrics", expect=200)
    assert "natter_connects_accepted_total 2" in text
    anonymous.call("GET", "/dev/token?username=carol&admin=1&client=WebClient&ttl=60",
                   expect=200)
    anonymous.call("GET", "/dev/token?username=no%20spaces", expect=400)

    # Every token-guarded operation: no token, a user without the admin role.
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method not in METHODS or not op.get("security", SPEC["security"]):
                continue
            anonymous.call(method.upper(), path, expect=401)
            anonymous.call(method.upper(), path, token="not.a.jwt", expect=401)
            plain.call(method.upper(), path, expect=200 if path == "/channels" and
                       method == "get" else 403)

    # Channels.
    admin.call("GET", "/channels", expect=200)
    admin.call("POST", "/channels", {"name": "support", "description": "help desk"},
               expect=201)
    admin.call("POST", "/channels", {"name": "Support"}, expect=409)
    admin.call("POST", "/channels", {"description": "no name"}, expect=400)
    admin.call("POST", "/channels", {"name": "big", "description": "x" * 8000}, expect=413)
    _, _, doc = admin.call("GET", "/channels", expect=200)
    support = next(c["id"] for c in doc["channels"] if c["name"] == "support")
    admin.call("PATCH", "/channels", {"id": support, "name": "helpdesk"}, expect=200)
    admin.call("PATCH", "/channels", {"id": support, "before_id": 1}, expect=200)
    admin.call("PATCH", "/channels", {"id": support, "before_id": None}, expect=200)
    admin.call("PATCH", "/channels", {"id": support, "name": "GENERAL"}, expect=409)
    admin.call("PATCH", "/channels", {"id": 999999, "name": "nowhere"}, expect=404)
    admin.call("PATCH", "/channels", {"id": "one"}, expect=400)
    admin.call("PATCH", "/channels", {"id": support, "description": "y" * 8000}, expect=413)
    _, _, doc = admin.call("GET", "/channels", expect=200)
    assert [c["name"] for c in doc["channels"]] == ["general", "helpdesk"], doc
    admin.call("DELETE", "/channels?id=x", expect=400)
    admin.call("DELETE", "/channels?id=999999", expect=404)
    admin.call("DELETE", f"/channels?id={support}&purge=true", expect=200)

    # Messages.
    _, _, doc = admin.call("GET", "/messages?channel=general&channel=nowhere&keyword=printer"
                           "&user_id=dev-alice&limit=10&offset=0", expect=200)
    [message] = doc["payload"]["messages"]
    admin.call("GET", "/messages?limit=-1", expect=400)
    admin.call("DELETE", "/messages", {"ids": []}, expect=400)
    admin.call("DELETE", "/messages", {"ids": list(range(10**9, 10**9 + 900))}, expect=413)
    admin.call("DELETE", "/messages", {"ids": [message["id"]]}, expect=204)
    admin.call("DELETE", "/messages", {"ids": [message["id"]]}, expect=404)

    # Users and bans.
    _, _, doc = admin.call("GET", "/users?username=alice&limit=5", expect=200)
    assert doc["payload"]["users"][0]["id"] == "dev-alice", doc
    admin.call("GET", "/users?limit=-1", expect=400)
    admin.call("POST", "/users/ban", {"banished_id": "dev-alice", "reason": "spam",
                                      "duration": 24}, expect=200)
    admin.call("POST", "/users/ban", {"banished_id": "dev-bob"}, expect=200)
    admin.call("POST", "/users/ban", {"banished_id": "nobody"}, expect=404)
    admin.call("POST", "/users/ban", {"banished_id": 7}, expect=400)
    admin.call("POST", "/users/ban", {"banished_id": "dev-bob", "reason": "z" * 8000},
               expect=413)
    _, _, doc = admin.call("GET", "/users/bans?limit=1", expect=200)
    assert doc["payload"]["has_more"] is True, doc
    _, _, doc = admin.call("GET", "/users/bans", expect=200)
    assert {"end", "duration", "reason"} <= set(doc["payload"]["records"][1]), doc
    admin.call("GET", "/users/bans?offset=-1", expect=400)
    assert upgrade(port, f"/ws?token={dev_token(port, 'bob')}") == 403
    ban_id = doc["payload"]["records"][0]["id"]
    admin.call("DELETE", f"/users/ban?ban_id={ban_id}", expect=200)
    admin.call("DELETE", "/users/ban?ban_id=999999", expect=404)
    admin.call("DELETE", "/users/ban", expect=400)

    # Activity.
    _, _, doc = admin.call("GET", "/activity/sessions", expect=200)
    assert doc["payload"]["session_activity"], doc
    admin.call("GET", "/activity/sessions?user_id=dev-alice", expect=200)
    _, _, doc = admin.call("GET", "/activity/channels", expect=200)
    assert {"channel": "general", "message_count": 0} in doc["payload"]["channels"], doc

    # Rate limit.
    admin.call("GET", "/ratelimits", expect=200)
    admin.call("PATCH", "/ratelimits", {"id": 1, "message_limit": 20, "window_seconds": 60},
               expect=200)
    admin.call("PATCH", "/ratelimits", {"id": 2, "message_limit": 20, "window_seconds": 60},
               expect=404)
    admin.call("PATCH", "/ratelimits", {"id": 1, "message_limit": 0, "window_seconds": 60},
               expect=400)
    admin.call("PATCH", "/ratelimits", {"id": 1, "message_limit": 1, "window_seconds": 1,
                                        "note": "n" * 8000}, expect=413)

    # The WebSocket upgrade.
    assert upgrade(port, f"/ws?token={dev_token(port, 'bob')}") == 101
    assert upgrade(port, "/ws") == 401
    assert upgrade(port, f"/ws?token={dev_token(port, 'bob')}&since=x") == 400
    status, headers, body = http_request(port, "GET", "/ws")
    check_response("/ws", "get", status, headers, body)
    assert status == 426


def test_every_route_refuses_other_methods_with_allow(dev_natter):
    """The methods the document lists are exactly the ones natter takes (HEAD with GET, and
    OPTIONS on the token-guarded routes)."""
    port = dev_natter.port
    token = dev_token(port, "root", admin=True)
    not_allowed = RESOLVED["components"]["responses"]["MethodNotAllowed"]
    for path, item in SPEC["paths"].items():
        if path == "/ws":
            continue  # any request there that is not an upgrade is answered 426
        documented = {m.upper() for m in item if m in METHODS}
        status, headers, body = http_request(port, "PUT", path,
                                             headers={"Authorization": f"Bearer {token}"})
        assert status == 405, (path, status, body)
        check_response(path, "put", status, headers, body, response=not_allowed)
        allow = set(headers["allow"].split(", "))
        guarded = item["get" if "get" in item else next(iter(item))].get(
            "security", SPEC["security"])
        expected = documented | ({"HEAD"} if "GET" in documented else set())
        expected |= {"OPTIONS"} if guarded else set()
        assert allow == expected, (path, allow, expected)
        if "GET" in documented:
            get_status, _, _ = http_request(port, "GET", path,
                                            headers={"Authorization": f"Bearer {token}"})
            head_status, _, head_body = http_request(port, "HEAD", path,
                                                     headers={"Authorization": f"Bearer {token}"})
            assert (head_status, head_body) == (get_status, b""), path


def test_without_keys_answers_as_documented(start_natter, dev_natter):
    """An instance whose identity provider is unreachable: /readyz 503 with a reason, the
    token-guarded routes and the upgrade 503, and no /dev/token outside --dev."""
    dead = f"http://127.0.0.1:{free_port()}/jwks"
    natter = start_natter(jwks_url=dead, provider=None)
    token = dev_token(dev_natter.port, "root", admin=True)  # well-formed, any key
    client = Client(natter.port, token)
    _, _, doc = client.call("GET", "/readyz", expect=503)
    assert "keys_not_loaded" in doc["reasons"], doc
    client.call("GET", "/dev/token?username=alice", expect=404)
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method in METHODS and op.get("security", SPEC["security"]):
                client.call(method.upper(), path, expect=503)
    assert upgrade(natter.port, f"/ws?token={token}") == 503


def test_document_paths_are_the_routes_natter_serves():
    """Every route in natter's source is documented and every documented path is served."""
    api = (REPO / "src" / "api" / "api.cpp").read_text()
    session = (REPO / "src" / "net" / "http_session.cpp").read_text()
    served = set(re.findall(r'\{"(/[a-z/]+)",', api))
    served |= set(re.findall(r'path == "(/[a-z/]+)"', session))
    assert served, "no routes found in the source"
    assert served == set(SPEC["paths"]), (f"served, not documented: {served - set(SPEC['paths'])}; "
                                          f"documented, not served: {set(SPEC['paths']) - served}")


def test_every_documented_status_was_exercised():
    """Runs last: every path, method and status in the document was answered above."""
    documented = {(path, method, status) for path, item in SPEC["paths"].items()
                  for method, op in item.items() if method in METHODS
                  for status in op["responses"]}
    missing = documented - exercised
    assert not missing, f"documented but never exercised: {sorted(missing)}"
    operations = {(p, m) for p, m, _ in documented}
    assert operations == {(p, m) for p, m, _ in exercised}
