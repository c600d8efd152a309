"""What lasts: a kill -9 loses nothing any client saw (SQLite, the embedded default), and a
PostgreSQL outage refuses chat with `unavailable` instead of broadcasting what cannot be kept,
then heals by itself."""

import asyncio
import os
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from natter_e2e import check_error, http_json, join, make_user

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
FAST = ("--rate-limit", "1000000/1", "--max-messages-per-second", "100000")


async def test_kill9_loses_nothing_any_client_saw(start_natter, idp, tmp_path):
    natter = start_natter(*FAST)
    reader_user = make_user("reader")
    reader = await join(natter, idp, reader_user)
    writers = [await join(natter, idp, make_user(f"writer{i}")) for i in range(3)]
    seen: dict[int, str] = {}
    stop = asyncio.Event()

    async def write(client, index):
        n = 0
        while not stop.is_set():
            await client.chat(f"w{index}-{n}")
            n += 1
            await asyncio.sleep(0.002)

    async def read():
        while True:
            m = await reader.recv(10)
            if m["type"] == "chat_message":
                seen[m["payload"]["cacheID"]] = m["payload"]["message"]

    tasks = [asyncio.create_task(write(c, i)) for i, c in enumerate(writers)]
    tasks.append(asyncio.create_task(read()))
    await asyncio.sleep(1.5)
    natter.expect_exit = True
    natter.proc.kill()
    natter.proc.wait()
    stop.set()
    await asyncio.sleep(0.2)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert len(seen) > 50, f"too few messages flowed before the kill: {len(seen)}"

    db = sqlite3.connect(tmp_path / "natter.db")
    stored: dict[int, list[str]] = {}
    for cache_id, text in db.execute("SELECT cache_id, message FROM chat_messages"):
        stored.setdefault(cache_id, []).append(text)
    db.close()
    missing = {cid: text for cid, text in seen.items() if stored.get(cid) != [text]}
    assert not missing, f"{len(missing)} delivered messages not stored exactly once: " \
                        f"{list(missing.items())[:5]}"

    # After a restart on the same file the counter goes on above everything stored, and a
    # reconnecting client is replayed what it missed.
    again = start_natter(*FAST)
    last_seen = max(seen)
    c = await join(again, idp, reader_user, since=last_seen - 3)
    bulk = c.seq("bulk_chat_messages")
    assert bulk is not None, c.types
    replayed = [m["cacheID"] for m in bulk["payload"]["messages"]]
    assert replayed[:3] == [last_seen - 2, last_seen - 1, last_seen], replayed[:5]
    await c.chat("after the restart")
    m = await c.recv_type("chat_message")
    assert m["payload"]["cacheID"] > max(stored), (m, max(stored))


class Postgres:
    """A throwaway PostgreSQL cluster that the test can stop and start again on one port."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.url = subprocess.run([str(SCRIPTS / "start-postgres"), str(directory)], check=True,
                                  capture_output=True, text=True).stdout.strip()
        self.port = (directory / "port").read_text().strip()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def pg_ctl(self, *args):
        subprocess.run([*self.as_owner, "/usr/lib/postgresql/15/bin/pg_ctl", "-D",
                        str(self.dir / "data"), *args], check=True, capture_output=True)

    def stop(self):
        self.pg_ctl("stop", "-m", "fast", "-w")

    def start(self):
        self.pg_ctl("start", "-w", "-l", str(self.dir / "server.log"), "-o",
                    f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off")

    def remove(self):
        subprocess.run([str(SCRIPTS / "stop-postgres"), str(self.dir)], capture_output=True)


@pytest.fixture
def postgres():
    # Not under pytest's tmp_path: as root the cluster runs as `postgres`, who cannot enter it.
    pg = Postgres(Path(tempfile.mkdtemp(prefix="natter-pg.")))
    yield pg
    pg.remove()


async def test_postgres_outage_refuses_then_heals(start_natter, idp, postgres):
    natter = start_natter("--database-url", postgres.url, *FAST)
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    await a.chat("before")
    assert (await a.recv_type("chat_message"))["payload"]["message"] == "before"
    assert (await b.recv_type("chat_message"))["payload"]["message"] == "before"

    postgres.stop()
    for i in range(3):
        await a.chat(f"during {i}", ref=f"d{i}")
        check_error(await a.recv(15), "unavailable", ref=f"d{i}")
    await b.no_message(1.0)
    await a.ping()
    await b.ping()

    postgres.start()
    healed_at = None
    deadline = time.monotonic() + 20
    n = 0
    while time.monotonic() < deadline:
        await a.chat(f"after {n}")
        m = await a.recv(15)
        if m["type"] == "chat_message":
            healed_at = n
            break
        check_error(m, "unavailable")
        n += 1
        await asyncio.sleep(0.5)
    assert healed_at is not None, "chat did not come back within 20 s of PostgreSQL's return"
    got = await b.recv_type("chat_message")
    assert got["payload"]["message"] == f"after {healed_at}"
    await b.no_message(0.5)

    # What was refused was never kept; what was accepted was.
    c = await join(natter, idp, make_user("carol"), since=0)
    texts = [m["message"] for m in c.seq("bulk_chat_messages")["payload"]["messages"]]
    assert texts == ["before", f"after {healed_at}"], texts
    # The outage is logged once when it starts and once when it ends, not per failed call.
    log = natter.log_text()
    assert log.count("event=store_down") == 1, log
    assert log.count("event=store_up") == 1, log
    assert log.index("event=store_down") < log.index("event=store_up")


async def test_readyz_follows_the_store(start_natter, idp, postgres):
    natter = start_natter("--database-url", postgres.url)
    assert http_json(natter.port, "/readyz")[0] == 200
    postgres.stop()
    status, _, doc = http_json(natter.port, "/readyz")
    assert status == 503 and "store_unavailable" in doc["reasons"], doc
    assert http_json(natter.port, "/healthz")[0] == 200  # alive, just not ready
    postgres.start()
    deadline = time.monotonic() + 20
    while http_json(natter.port, "/readyz")[0] != 200:
        assert time.monotonic() < deadline, "not ready again 20 s after PostgreSQL returned"
        await asyncio.sleep(0.3)
