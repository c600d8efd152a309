"""Requests natter cannot parse or will not upgrade: each is answered with a status (400, 414,
431) and `Connection: close`, never just dropped, and natter serves others afterwards."""

import base64
import json
import socket
import time

import pytest

from natter_e2e import http_request, make_user, raw_upgrade, upgrade_request


def exchange(port: int, data: bytes, timeout: float = 5) -> tuple[int | None, dict, bytes]:
    """Sends `data` on a fresh connection, reads to EOF; returns (status or None when nothing
    came back, headers lower-case, body)."""
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            received += chunk
    if not received:
        return None, {}, b""
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, body


def check_answer(natter, data: bytes, expected: int) -> None:
    status, headers, body = exchange(natter.port, data)
    assert status == expected, f"answered {status} (expected {expected}): {headers} {body[:200]!r}"
    assert headers.get("connection", "").lower() == "close", headers
    doc = json.loads(body)
    assert isinstance(doc["error"]["code"], str) and doc["error"]["message"], doc
    assert http_request(natter.port, "GET", "/healthz")[0] == 200


CASES = {
    "garbage": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", 400),
    "no_version": (b"GET /healthz\r\nHost: x\r\n\r\n", 400),
    "bad_content_length": (b"POST /channels HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
                           400),
    "two_content_lengths": (b"POST /channels HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                            b"Content-Length: 3\r\n\r\nabc", 400),
    "bad_chunk": (b"POST /channels HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"zz\r\nabc\r\n0\r\n\r\n", 400),
    "bad_transfer_encoding": (b"POST /channels HTTP/1.1\r\nHost: x\r\n"
                              b"Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
    "long_request_line": (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    "long_header_block": (b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                          + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 1000) for i in range(40))
                          + b"\r\n", 431),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unparsable_request_gets_a_status(natter, case):
    data, expected = CASES[case]
    check_answer(natter, data, expected)


@pytest.mark.parametrize("key", ["abc", "", "x" * 24, base64.b64encode(b"k" * 15).decode(),
                                 base64.b64encode(b"k" * 17).decode(), "AAAAAAAAAAAAAAAAAAAAAB=="])
def test_invalid_websocket_key_is_400(natter, idp, key):
    token = idp.token(make_user("alice"))
    request = upgrade_request(natter.port, "/ws?token=" + token).decode()
    lines = [line for line in request.split("\r\n") if not line.startswith("Sec-WebSocket-Key")]
    lines.insert(1, f"Sec-WebSocket-Key: {key}")
    status, headers, body = exchange(natter.port, "\r\n".join(lines).encode())
    assert status == 400, f"upgrade with key {key!r} answered {status}"
    assert headers.get("connection", "").lower() == "close", headers
    assert json.loads(body)["error"]["code"] == "bad_request"
    # a valid key still upgrades
    assert raw_upgrade(natter.port, "/ws?token=" + token)[0] == 101
