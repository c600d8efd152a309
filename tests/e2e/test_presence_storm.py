"""A reconnect storm: a thousand distinct users connecting at once (what follows a restart),
then half of them leaving at once. Every client must end with the right view of who is
online, built from its connect list and the changes after it, without ever hearing of a
user it already had or of itself."""

import asyncio
import json
import resource
import time

from natter_e2e import make_user, ws_connect

USERS = 1000


def raise_open_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


class View:
    """Who one client believes online, checked change by change."""

    def __init__(self, own_id: str):
        self.own_id = own_id
        self.online: set[str] = set()
        self.names: dict[str, str] = {}

    def apply(self, msg: dict) -> None:
        kind, payload = msg["type"], msg.get("payload")
        if kind == "connected_users":
            users = payload["users"]
            ids = [u["id"] for u in users]
            assert len(set(ids)) == len(ids), "a user listed twice"
            assert all(set(u) == {"username", "id", "status"} and u["status"] is True
                       for u in users), users[:3]
            self.online = set(ids)
            self.names.update({u["id"]: u["username"] for u in users})
        elif kind == "user_status":
            assert set(payload) == {"username", "id", "status"}, payload
            who = payload["id"]
            assert who != self.own_id, "told of its own arrival or departure"
            if payload["status"]:
                assert who not in self.online, f"told twice that {payload['username']} is online"
                self.online.add(who)
                self.names[who] = payload["username"]
            else:
                assert who in self.online, f"told {payload['username']} left, never online"
                self.online.discard(who)


async def read_until(ws, view: View, wanted: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while view.online != wanted:
        left = deadline - time.monotonic()
        assert left > 0, f"view has {len(view.online)} of {len(wanted)} users"
        view.apply(json.loads(await asyncio.wait_for(ws.recv(), left)))


async def test_a_thousand_users_at_once_all_see_everyone_then_half_leave(start_natter, idp):
    raise_open_file_limit(4 * USERS)
    natter = start_natter("--max-connections-per-ip", "0")
    users = [make_user(f"storm{i:04d}") for i in range(USERS)]
    tokens = [idp.token(u) for u in users]
    everyone = {u.sub for u in users}
    views = [View(u.sub) for u in users]

    async def connect(i: int):
        ws = await ws_connect(natter, tokens[i], open_timeout=60, max_size=2 ** 24)
        await read_until(ws, views[i], everyone, 120)
        return ws

    started = time.monotonic()
    sockets = await asyncio.gather(*(connect(i) for i in range(USERS)))
    print(f"{USERS} users connected at once: every view complete after "
          f"{time.monotonic() - started:.2f} s")
    for view, user in zip(views, users):
        assert view.names[user.sub] == user.username

    leaving, staying = sockets[: USERS // 2], sockets[USERS // 2:]
    remaining = {u.sub for u in users[USERS // 2:]}
    started = time.monotonic()
    await asyncio.gather(*(ws.close() for ws in leaving))
    await asyncio.gather(*(read_until(ws, views[USERS // 2 + i], remaining, 120)
                           for i, ws in enumerate(staying)))
    print(f"{len(leaving)} users left at once: every view right after "
          f"{time.monotonic() - started:.2f} s")
    # Nothing more is owed: a straggling duplicate would show here.
    await asyncio.sleep(0.5)
    for i, ws in enumerate(staying):
        view = views[USERS // 2 + i]
        while True:
            try:
                view.apply(json.loads(await asyncio.wait_for(ws.recv(), 0.01)))
            except asyncio.TimeoutError:
                break
        assert view.online == remaining
    await asyncio.gather(*(ws.close() for ws in staying))
