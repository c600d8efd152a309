"""natter-bench against a real natter, at toy sizes: every scenario runs for a second or two,
exits 0, loses and duplicates nothing, and prints one JSON result line with the keys scripts
rely on. Throughput figures are never asserted here: this machine's speed is not a test."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from natter_e2e import natter_binary

BENCH_TIMEOUT = 90
BENCH_ARGS = ("--rate-limit", "1000000/1", "--max-messages-per-second", "100000")
DELIVERY_KEYS = {"scenario", "ok", "measured", "window_s", "sent", "refused", "delivered",
                 "delivered_per_s", "latency_us", "lost", "duplicated", "out_of_order",
                 "cache_id_regressions", "server_closes", "errors", "connect_failures"}
LATENCY_KEYS = {"count", "p50", "p90", "p99", "p99_9", "max", "mean"}


def bench_binary() -> Path:
    configured = os.environ.get("NATTER_BENCH")
    return Path(configured) if configured else natter_binary().parent / "bench" / "natter-bench"


def run_bench(natter, scenario: str, *args, tokens=None) -> tuple[int, dict, str]:
    binary = bench_binary()
    if not binary.is_file():
        pytest.fail(f"natter-bench not found at {binary} (set NATTER_BENCH or build the "
                    f"natter-bench target of the release preset)")
    base = f"127.0.0.1:{natter.port}"
    token_args = tokens or ["--token-url", f"http://{base}/dev/token"]
    command = [str(binary), scenario, "--url", f"ws://{base}/ws", *token_args,
               *[str(a) for a in args]]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    done = subprocess.run(command, capture_output=True, text=True, timeout=BENCH_TIMEOUT, env=env)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, (f"expected one JSON line on stdout, got {done.stdout!r}\n"
                             f"stderr:\n{done.stderr}")
    result = json.loads(lines[0])
    assert isinstance(result, dict) and result["scenario"] == scenario, result
    return done.returncode, result, done.stderr


def check_clean_delivery(code: int, result: dict, summary: str) -> None:
    assert code == 0, f"exit {code}: {result}\n{summary}"
    assert DELIVERY_KEYS <= set(result), sorted(DELIVERY_KEYS - set(result))
    assert result["ok"] is True and result["measured"] is True
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["out_of_order"] == 0
    assert result["cache_id_regressions"] == 0
    assert result["refused"] == 0 and result["errors"] == {} and result["server_closes"] == {}
    assert result["sent"] > 0 and result["delivered"] > 0
    assert isinstance(result["delivered_per_s"], float)
    assert LATENCY_KEYS <= set(result["latency_us"])
    assert "delivered" in summary and "lost 0" in summary


@pytest.fixture
def dev_natter(start_natter):
    return start_natter("--dev", *BENCH_ARGS, provider=None)


def test_fanout_flat_out(dev_natter):
    code, result, summary = run_bench(dev_natter, "fanout", "--clients", 20, "--senders", 3,
                                      "--inflight", 8, "--warmup", 0.3, "--duration", 1.5)
    check_clean_delivery(code, result, summary)
    assert result["clients"] == 20 and result["senders"] == 3
    # Everyone gets every message: the deliveries are the sends times the clients.
    assert result["delivered"] == result["sent"] * 20


def test_fanout_paced_shares_users(dev_natter):
    code, result, summary = run_bench(dev_natter, "fanout", "--clients", 12, "--users", 4,
                                      "--senders", 2, "--rate", 100, "--warmup", 0.2,
                                      "--duration", 1.5, "--message-bytes", 200)
    check_clean_delivery(code, result, summary)
    assert result["users"] == 4
    assert result["delivered"] == result["sent"] * 12


def test_private(dev_natter):
    code, result, summary = run_bench(dev_natter, "private", "--pairs", 4, "--inflight", 4,
                                      "--warmup", 0.2, "--duration", 1.5)
    check_clean_delivery(code, result, summary)
    # Each whisper reaches its recipient and comes back to its sender.
    assert result["delivered"] == 2 * result["sent"]


def test_mixed(dev_natter):
    code, result, summary = run_bench(dev_natter, "mixed", "--clients", 15, "--writers", 3,
                                      "--rate", 60, "--churn", 8, "--churn-hold", 0.3,
                                      "--churn-users", 3, "--warmup", 0.2, "--duration", 2)
    check_clean_delivery(code, result, summary)
    assert result["joins"] > 0 and result["leaves"] == result["joins"]
    assert result["join_failures"] == 0


def test_connect(dev_natter):
    code, result, summary = run_bench(dev_natter, "connect", "--connections", 60,
                                      "--concurrency", 10)
    assert code == 0, f"{result}\n{summary}"
    assert result["connected"] == 60 and result["failed"] == 0 and result["ok"] is True
    assert {"connects_per_s", "connect_latency_us", "failures", "seconds"} <= set(result)
    assert result["connect_latency_us"]["count"] == 60


def test_idle_reads_natter_memory(dev_natter):
    code, result, summary = run_bench(dev_natter, "idle", "--connections", 60, "--users", 6,
                                      "--pid", dev_natter.proc.pid, "--hold", 0.2)
    assert code == 0, f"{result}\n{summary}"
    assert result["connected"] == 60 and result["ok"] is True
    assert result["rss_before_kib"] > 0 and result["rss_held_kib"] > 0
    assert isinstance(result["kib_per_connection"], float)


def test_tokens_minted_with_a_trusted_key(start_natter, idp, keys, tmp_path):
    natter = start_natter(*BENCH_ARGS)
    key_file = tmp_path / "bench-key.pem"
    key_file.write_bytes(keys["rsa"].private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    code, result, summary = run_bench(
        natter, "fanout", "--clients", 6, "--senders", 2, "--warmup", 0.2, "--duration", 1,
        tokens=["--signing-key", key_file, "--kid", keys["rsa"].kid, "--issuer", idp.issuer])
    check_clean_delivery(code, result, summary)


def test_refusals_are_counted_not_lost(start_natter):
    # natter's default rate limit (10 per 60 s) refuses most of these: each refusal is an
    # `error` reply, never a lost message, and the run says it was not clean.
    natter = start_natter("--dev", "--max-messages-per-second", "100000", provider=None)
    code, result, summary = run_bench(natter, "fanout", "--clients", 5, "--senders", 1,
                                      "--rate", 60, "--warmup", 0, "--duration", 1)
    assert code == 2, f"{result}\n{summary}"
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["refused"] > 0 and result["errors"].get("rate_limited") == result["refused"]
    assert result["ok"] is False
