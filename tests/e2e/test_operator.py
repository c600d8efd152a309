"""What an operator meets: the version everywhere, the process_* metrics, bad settings that
stop start-up (URLs) or are warned about (unknown NATTER_* variables), host names to listen
on, and SIGHUP."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time

import pytest

from natter_e2e import (clean_env, free_port, http_json, http_request, join, make_user,
                        natter_binary, wait_closed)

VERSION_RE = re.compile(r"^natter (\d+\.\d+\.\d+)( \(([0-9a-f]{12})(-dirty)?\))?$")


def version_line() -> str:
    out = subprocess.run([str(natter_binary()), "--version"], capture_output=True, text=True,
                         timeout=10, env=clean_env())
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_version_flag_names_the_version_and_the_commit():
    line = version_line()
    match = VERSION_RE.match(line)
    assert match, line
    cmake = (natter_binary().parents[2] / "CMakeLists.txt").read_text()
    assert f"project(natter VERSION {match.group(1)} " in cmake
    head = subprocess.run(["git", "-C", str(natter_binary().parents[2]), "rev-parse", "HEAD"],
                          capture_output=True, text=True)
    if head.returncode == 0 and match.group(3):  # built from a checkout
        assert head.stdout.startswith(match.group(3))


def test_the_version_is_in_discovery_metrics_and_the_start_up_line(natter):
    line = version_line()
    version = VERSION_RE.match(line).group(1)
    commit = VERSION_RE.match(line).group(3) or ""
    _, _, doc = http_json(natter.port, "/discovery")
    assert doc["version"] == version
    _, _, body = http_request(natter.port, "GET", "/metrics")
    text = body.decode()
    assert re.search(r'^natter_build_info\{(?=.*version="%s")(?=.*commit="%s[^"]*").*\} 1$'
                     % (re.escape(version), re.escape(commit)), text, re.M), text[:2000]
    assert re.search(rf"{re.escape(line)} listening on 127\.0\.0\.1:{natter.port}",
                     natter.log_text())


def test_process_metrics(natter):
    _, _, body = http_request(natter.port, "GET", "/metrics")
    values = {}
    for line in body.decode().splitlines():
        if line.startswith("process_"):
            name, value = line.split(" ")
            values[name] = float(value)
    pid = natter.proc.pid
    rss_kib = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1))
    assert abs(values["process_resident_memory_bytes"] / 1024 - rss_kib) < rss_kib * 0.5
    assert values["process_virtual_memory_bytes"] >= values["process_resident_memory_bytes"]
    assert 5 <= values["process_open_fds"] < 1000
    assert values["process_max_fds"] >= values["process_open_fds"]
    assert 0 <= values["process_cpu_seconds_total"] < 600
    assert abs(values["process_start_time_seconds"] - time.time()) < 120
    assert "# TYPE process_cpu_seconds_total counter" in body.decode()


@pytest.mark.parametrize("setting,value", [
    ("NATTER_JWKS_URL", "not-a-url"), ("NATTER_JWKS_URL", "ftp://example.org/jwks"),
    ("NATTER_OIDC_ISSUER", "https://"), ("NATTER_OIDC_ISSUER", "example.org/realms/x")])
def test_bad_identity_provider_urls_stop_start_up(start_natter, setting, value):
    env = {"NATTER_LISTEN": f"127.0.0.1:{free_port()}", setting: value}
    if setting == "NATTER_OIDC_ISSUER":
        env["NATTER_JWKS_URL"] = "http://127.0.0.1:1/jwks"
    natter = start_natter(base=False, env=env, wait=False)
    natter.expect_exit = True
    assert natter.wait(10) == 2
    lines = [line for line in natter.log_text().splitlines() if line.strip()]
    assert len(lines) == 1 and setting in lines[0] and value in lines[0], lines


async def test_unknown_natter_variables_are_warned_about(start_natter, idp):
    natter = start_natter(env={"NATTER_LISTN": "0.0.0.0:1", "NATTER_FROBNICATE": "1"})
    log = natter.log_text()
    assert "NATTER_LISTN is not a setting (ignored); did you mean NATTER_LISTEN?" in log, log
    assert "NATTER_FROBNICATE is not a setting (ignored)" in log, log
    await (await join(natter, idp, make_user("alice"))).ping()  # and it serves as usual


async def test_listen_takes_a_host_name(start_natter, idp):
    port = free_port()
    natter = start_natter(base=False, port=port, env={
        "NATTER_LISTEN": f"localhost:{port}", "NATTER_JWKS_URL": idp.jwks_url,
        "NATTER_OIDC_ISSUER": idp.issuer})
    await (await join(natter, idp, make_user("alice"))).ping()


async def test_sighup_reloads_the_keys_and_keeps_serving(start_natter, idp, keys):
    natter = start_natter("--jwks-min-refetch", "3600")
    alice = make_user("alice")
    a = await join(natter, idp, alice)
    idp.add_key(keys["rsa2"])
    before = idp.count("/jwks")
    natter.signal(signal.SIGHUP)
    deadline = time.time() + 5
    while idp.count("/jwks") == before and time.time() < deadline:
        time.sleep(0.05)
    assert idp.count("/jwks") == before + 1
    assert "SIGHUP: reloading the identity provider's keys" in natter.log_text()
    await a.ping()  # still running, the connection open
    b = await join(natter, idp, make_user("bob"), token=idp.token(make_user("bob"),
                                                                   key=keys["rsa2"]))
    await b.ping()


async def test_two_dev_instances_share_one_signing_key(start_natter, tmp_path):
    key = tmp_path / "dev-key.pem"
    mem = ("--database-url", "sqlite::memory:")
    a = start_natter("--dev", "--dev-key", key, *mem, provider=None)
    assert key.stat().st_mode & 0o777 == 0o600
    b = start_natter("--dev", "--dev-key", key, *mem, provider=None)
    lone = start_natter("--dev", *mem, provider=None)  # a fresh key of its own
    _, _, token = http_request(a.port, "GET", "/dev/token?username=alice")
    alice = make_user("alice")
    for natter in (a, b):
        c = await join(natter, None, alice, token=token.decode())
        await c.ping()
        await c.close()
    status, _, _ = http_request(lone.port, "GET", "/channels",
                                headers={"Authorization": f"Bearer {token.decode()}"})
    assert status == 401
    key.write_text("not a key")
    broken = start_natter("--dev", "--dev-key", key, *mem, provider=None, wait=False)
    broken.expect_exit = True
    assert broken.wait(10) != 0
    assert "NATTER_DEV_KEY" in broken.log_text()


async def test_json_log_records_what_an_operator_needs(start_natter, idp):
    natter = start_natter("--log-format", "json", *("--rate-limit", "1000/1"))
    admin, alice, bob = make_user("root", admin=True), make_user("alice"), make_user("bob")
    token = idp.token(admin)
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.chat("to be deleted")
    await b.recv_type("chat_message")
    status, _, _ = http_request(natter.port, "GET", "/ws?token=not.a.jwt",
                                headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                         "Sec-WebSocket-Version": "13",
                                         "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert status == 401
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    _, _, found = http_request(natter.port, "GET", "/messages?channel=general", headers=auth)
    ids = [m["id"] for m in json.loads(found)["payload"]["messages"]]
    http_request(natter.port, "DELETE", "/messages", headers=auth,
                 body=json.dumps({"ids": ids}).encode())
    status, _, body = http_request(natter.port, "POST", "/users/ban", headers=auth,
                                   body=json.dumps({"banished_id": bob.sub,
                                                    "reason": "spam"}).encode())
    assert status == 200, body
    assert await wait_closed(b.ws, 5) == 4003
    _, _, bans = http_request(natter.port, "GET", "/users/bans", headers=auth)
    ban_id = json.loads(bans)["payload"]["records"][0]["id"]
    http_request(natter.port, "DELETE", f"/users/ban?ban_id={ban_id}", headers=auth)
    await a.close()
    time.sleep(0.5)

    records = [json.loads(line) for line in natter.log_text().splitlines() if line.strip()]
    by_event: dict[str, list[dict]] = {}
    for r in records:
        by_event.setdefault(r.get("event", ""), []).append(r)
    connect = next(r for r in by_event["connect"] if r["user"] == "alice")
    assert connect["sub"] == alice.sub and isinstance(connect["conn"], int)
    assert connect["remote"].startswith("127.0.0.1:")
    refused = by_event["refused"][0]
    assert refused["code"] == 401 and refused["reason"] and refused["remote"], refused
    gone = {r["user"]: r for r in by_event["disconnect"]}
    assert gone["bob"]["code"] == 4003 and gone["alice"]["code"] == 1000, gone
    assert all(isinstance(r["duration_ms"], int) and r["duration_ms"] >= 0
               for r in gone.values())
    deleted = by_event["messages_deleted"][0]
    assert deleted["by"] == admin.sub and deleted["cache_ids"] == "1", deleted
    ban = by_event["ban"][0]
    assert (ban["sub"], ban["by"]) == (bob.sub, admin.sub) and "spam" in ban["reason"], ban
    pardon = by_event["pardon"][0]
    assert (pardon["sub"], pardon["by"]) == (bob.sub, admin.sub), pardon
    text = natter.log_text()
    assert token not in text and "not.a.jwt" not in text  # never a token
