"""GET /metrics: the Prometheus text format, counters that move by exactly what a short chat
did, and NATTER_METRICS_LISTEN moving /metrics to a listener of its own."""

import asyncio
import re
import subprocess
import time

import pytest
import websockets.exceptions

from natter_e2e import (check_error, free_port, http_request, join, make_user, ws_connect)

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> dict:
    """{(name, frozenset of (label, value)): float} for every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE_RE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        key = (name, frozenset(LABEL_RE.findall(labels or "")))
        assert key not in samples, f"sample twice: {line!r}"
        samples[key] = float(value)
    return samples


def scrape(port: int) -> dict:
    status, headers, body = http_request(port, "GET", "/metrics")
    assert status == 200, f"/metrics -> {status}: {body[:200]!r}"
    assert headers.get("content-type", "").startswith("text/plain; version=0.0.4"), headers
    return parse_metrics(body.decode())


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_counters_move_by_what_a_chat_did(start_natter, idp):
    natter = start_natter("--rate-limit", "4/60")
    before = scrape(natter.port)
    alice, bob = make_user("alice"), make_user("bob")

    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        await ws_connect(natter, "not-a-token")
    assert refused.value.status_code == 401

    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    for i in range(3):
        await a.chat(f"from alice {i}")
        for c in (a, b):
            assert (await c.recv_type("chat_message"))["payload"]["message"] == f"from alice {i}"
    await a.whisper(bob, "psst")
    for c in (a, b):
        assert (await c.recv_type("private_chat_message"))["payload"]["message"] == "psst"
    await a.chat("one too many", ref="r1")  # alice's fifth message within 4/60
    check_error(await a.recv_type("error"), "rate_limited", ref="r1")
    for i in range(2):
        await b.chat(f"from bob {i}")
        for c in (a, b):
            assert (await c.recv_type("chat_message"))["payload"]["message"] == f"from bob {i}"

    expected = {
        ("natter_connects_accepted_total", ()): 2,
        ("natter_connects_refused_total", (("reason", "unauthorized"),)): 1,
        ("natter_messages_in_total", (("type", "chat_message"),)): 6,
        ("natter_messages_in_total", (("type", "private_chat_message"),)): 1,
        ("natter_messages_in_total", (("type", "invalid"),)): 0,
        ("natter_messages_out_total", (("type", "chat_message"),)): 10,  # 5 accepted x 2
        ("natter_messages_out_total", (("type", "private_chat_message"),)): 2,
        ("natter_messages_out_total", (("type", "error"),)): 1,
        ("natter_messages_out_total", (("type", "user_status"),)): 1,  # alice hears of bob
        ("natter_messages_out_total", (("type", "active_channels"),)): 2,
        ("natter_messages_out_total", (("type", "connected_users"),)): 2,
        ("natter_rate_limited_total", ()): 1,
        ("natter_send_queue_overflows_total", ()): 0,
        ("natter_fanout_latency_seconds_count", ()): 6,  # 5 public + 1 private
        ("natter_store_batch_size_sum", (("queue", "commit"),)): 6,
        ("natter_store_call_errors_total", (("caller", "commit"),)): 0,
    }

    def deltas(after):
        return {k: value(after, k[0], **dict(k[1])) - value(before, k[0], **dict(k[1]))
                for k in expected}

    # The latency is observed just after the hand-over, so allow it a moment to land.
    deadline = time.monotonic() + 2
    after = scrape(natter.port)
    while deltas(after) != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        after = scrape(natter.port)
    assert deltas(after) == expected

    assert value(after, "natter_connections_open", client="chat") == 2
    assert value(after, "natter_connections_open", client="dashboard") == 0
    batches = (value(after, "natter_store_batch_size_count", queue="commit")
               - value(before, "natter_store_batch_size_count", queue="commit"))
    commits = (value(after, "natter_store_call_seconds_count", caller="commit")
               - value(before, "natter_store_call_seconds_count", caller="commit"))
    assert 1 <= batches <= 6 and commits == batches
    assert value(after, "natter_jwks_refreshes_total") >= 1
    assert value(after, "natter_jwks_refresh_failures_total") == 0
    bucket_inf = value(after, "natter_fanout_latency_seconds_bucket", le="+Inf")
    assert bucket_inf == value(after, "natter_fanout_latency_seconds_count")

    await a.close()
    await b.close()
    deadline = time.monotonic() + 5
    while value(scrape(natter.port), "natter_connections_open", client="chat") != 0:
        assert time.monotonic() < deadline, "connections_open did not return to 0"
        await asyncio.sleep(0.05)


def test_rest_calls_are_timed(start_natter, idp):
    natter = start_natter()
    before = scrape(natter.port)
    token = idp.token(make_user("alice"))
    for _ in range(3):
        status, _, _ = http_request(natter.port, "GET", "/channels",
                                    headers={"Authorization": f"Bearer {token}"})
        assert status == 200
    after = scrape(natter.port)
    name = "natter_store_call_seconds_count"
    assert value(after, name, caller="api") - value(before, name, caller="api") == 3
    assert value(after, "natter_store_call_errors_total", caller="api") == 0


def test_metrics_listen_serves_metrics_alone(start_natter):
    metrics_port = free_port()
    natter = start_natter("--metrics-listen", f"127.0.0.1:{metrics_port}")
    samples = scrape(metrics_port)
    assert ("natter_connects_accepted_total", frozenset()) in samples
    status, _, _ = http_request(natter.port, "GET", "/metrics")
    assert status == 404
    for path in ("/healthz", "/ws", "/channels", "/metrics/more"):
        status, _, _ = http_request(metrics_port, "GET", path)
        assert status == 404, f"{path} on the metrics port -> {status}"
    status, headers, _ = http_request(metrics_port, "POST", "/metrics")
    assert status == 405 and headers.get("allow") == "GET, HEAD"


def test_metrics_on_the_main_listener_by_default(natter):
    scrape(natter.port)
    status, headers, _ = http_request(natter.port, "POST", "/metrics")
    assert status == 405 and headers.get("allow") == "GET, HEAD"


async def test_promtool_finds_nothing_to_fix(natter, idp):
    """Prometheus' own linter (Debian's prometheus package) on a scrape after some traffic."""
    alice = make_user("alice")
    a = await join(natter, idp, alice)
    await a.chat("counted")
    await a.recv_type("chat_message")
    _, _, body = http_request(natter.port, "GET", "/metrics")
    lint = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                          timeout=30)
    assert lint.returncode == 0, (lint.stdout + lint.stderr).decode()
    assert (lint.stdout + lint.stderr).strip() == b"", (lint.stdout + lint.stderr).decode()
