"""Backups and restore, end to end: `natter backup DEST` copies the SQLite store while natter
runs and chats (a copy of natter.db alone would miss what is still in its WAL), refuses to
overwrite and refuses PostgreSQL; a natter started on the copy serves everything the clients
saw. PostgreSQL is backed up with pg_dump and restored with pg_restore, and served again."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from natter_e2e import clean_env, join, make_user, natter_binary
from test_durability import Postgres

FAST = ("--rate-limit", "1000000/1", "--max-messages-per-second", "100000")


def natter_backup(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(natter_binary()), "backup", *args], cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, timeout=60)


async def chat_a_while(natter, idp, alice, count: int) -> tuple[list[str], list[str]]:
    """Public and private messages that every client has seen (so: stored)."""
    bob = make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.recv_type("user_status")
    public, private = [], []
    for i in range(count):
        await a.chat(f"public {i}")
        public.append((await b.recv_type("chat_message"))["payload"]["message"])
    for i in range(3):
        await b.whisper(alice, f"private {i}")
        private.append((await a.recv_type("private_chat_message"))["payload"]["message"])
    await a.close()
    await b.close()
    return public, private


async def check_served(natter, idp, alice, public: list[str], private: list[str]) -> None:
    c = await join(natter, idp, alice)
    assert c.seq("bulk_chat_messages"), c.types
    replayed = [m["message"] for m in c.seq("bulk_chat_messages")["payload"]["messages"]]
    assert replayed == public
    whispers = [m["message"] for m in c.seq("bulk_private_messages")["payload"]["messages"]]
    assert whispers == private
    await c.close()


async def test_backup_while_running_then_restore(start_natter, idp, tmp_path):
    natter = start_natter(*FAST)
    alice = make_user("alice")
    public, private = await chat_a_while(natter, idp, alice, 120)

    backup = natter_backup(tmp_path, "backup.db")  # natter.db, the default, next to it
    assert backup.returncode == 0, backup.stderr
    assert "backed up sqlite:natter.db to backup.db" in backup.stdout
    assert not list(tmp_path.glob("backup.db.partial-*"))
    db = sqlite3.connect(tmp_path / "backup.db")
    stored = [text for (text,) in db.execute(
        "SELECT message FROM chat_messages ORDER BY cache_id")]
    db.close()
    assert stored == public

    # Never over a file, and not for PostgreSQL.
    again = natter_backup(tmp_path, "backup.db")
    assert again.returncode == 2 and "backup.db exists" in again.stderr, again
    pg = natter_backup(tmp_path, "pg.db", "--database-url", "postgres://u@127.0.0.1/db")
    assert pg.returncode == 2 and "pg_dump" in pg.stderr, pg
    missing = natter_backup(tmp_path)
    assert missing.returncode == 2 and "usage" in missing.stderr

    # Restore: a natter started on the copy serves what the clients saw.
    natter.expect_exit = True
    natter.stop()
    restored = tmp_path / "restored"
    restored.mkdir()
    (tmp_path / "backup.db").rename(restored / "natter.db")
    again = start_natter(*FAST, "--database-url", f"sqlite:{restored / 'natter.db'}")
    await check_served(again, idp, alice, public, private)


async def test_postgres_pg_dump_and_pg_restore(start_natter, idp):
    pg = Postgres(Path(tempfile.mkdtemp(prefix="natter-pg.")))
    try:
        natter = start_natter(*FAST, "--database-url", pg.url)
        alice = make_user("alice")
        public, private = await chat_a_while(natter, idp, alice, 30)
        dump = Path(tempfile.mkdtemp(prefix="natter-dump.")) / "natter.dump"
        subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), pg.url], check=True,
                       capture_output=True)
        natter.expect_exit = True
        natter.stop()
        subprocess.run(["psql", pg.url, "-qc", "CREATE DATABASE restored"], check=True,
                       capture_output=True)
        target = pg.url.rsplit("/", 1)[0] + "/restored"
        subprocess.run(["pg_restore", "--no-owner", "--dbname", target, str(dump)], check=True,
                       capture_output=True)
        again = start_natter(*FAST, "--database-url", target)
        await check_served(again, idp, alice, public, private)
        await asyncio.sleep(0)
    finally:
        pg.remove()
