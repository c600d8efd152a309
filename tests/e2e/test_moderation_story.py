"""A moderator's afternoon, told end to end with an HTTP client natter did not write (Python's
urllib) and WebSocket chat clients: create a channel, chat in it, find a message by keyword,
delete it, ban its author, pardon them, read the analytics."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
import websockets

from natter_e2e import check_envelope, join, make_user, wait_closed, ws_connect

FAST = ("--rate-limit", "1000000/1", "--max-messages-per-second", "100000")


class Moderator:
    """An admin dashboard's REST calls, through urllib (no proxy)."""

    def __init__(self, natter, token: str):
        self.base = f"http://127.0.0.1:{natter.port}"
        self.token = token
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __call__(self, method: str, path: str, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with self.opener.open(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


async def test_moderation_story(start_natter, idp):
    natter = start_natter(*FAST)
    root = make_user("root", admin=True)
    alice, troll = make_user("alice"), make_user("troll")
    mod = Moderator(natter, idp.token(root))

    a = await join(natter, idp, alice)
    t = await join(natter, idp, troll)
    await a.recv_type("user_status")

    # 1. A new channel: every connected client learns of it at once.
    status, doc = mod("POST", "/channels", {"name": "support", "description": "help desk"})
    assert (status, doc) == (201, {"message": "Channel created", "name": "support"})
    for client in (a, t):
        p = check_envelope(await client.recv_type("active_channels"), "active_channels")
        assert "support" in [c["name"] for c in p["channels"]], p

    # 2. Chat in it.
    await a.chat("my printer is on fire", channel="support")
    await t.chat("buy cheap watches at spam dot example", channel="support")
    await a.chat("anyone?", channel="support")
    for client in (a, t):
        for _ in range(3):
            await client.recv_type("chat_message")

    # 3. Find the spam by keyword.
    status, doc = mod("GET", "/messages?keyword=watches&channel=support")
    assert status == 200
    found = check_envelope(doc, "message_search_result", sender="server")["messages"]
    assert [(m["username"], m["message"]) for m in found] == [
        ("troll", "buy cheap watches at spam dot example")], found
    spam = found[0]

    # 4. Delete it: clients are told which message went.
    status, doc = mod("DELETE", "/messages", {"ids": [spam["id"]]})
    assert (status, doc) == (204, None)
    for client in (a, t):
        p = check_envelope(await client.recv_type("messages_deleted"), "messages_deleted")
        assert p == {"cache_ids": [spam["cacheID"]]}, p
    status, doc = mod("GET", "/messages?channel=support")
    assert [m["message"] for m in doc["payload"]["messages"]] == ["anyone?",
                                                                  "my printer is on fire"]

    # 5. Ban the author for a day: disconnected with 4003, a reconnect is refused with 403.
    status, doc = mod("POST", "/users/ban",
                      {"banished_id": spam["owner_id"], "reason": "spam", "duration": 24})
    assert status == 200 and doc["message"] == "User banned successfully", doc
    assert await wait_closed(t.ws) == 4003
    await a.expect_status(troll, False)
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        await ws_connect(natter, idp.token(troll))
    assert refused.value.status_code == 403
    status, doc = mod("GET", "/users?username=troll")
    assert doc["payload"]["users"] == [{"id": troll.sub, "username": "troll",
                                        "is_banned": True}]

    # 6. Pardon: they can come back.
    status, doc = mod("GET", "/users/bans")
    record = [r for r in doc["payload"]["records"] if r["banished_id"] == troll.sub][0]
    assert record["owner_id"] == root.sub and record["duration"] == "24h", record
    status, doc = mod("DELETE", f"/users/ban?ban_id={record['id']}")
    assert (status, doc) == (200, {"message": "User pardoned successfully",
                                   "ban_id": int(record["id"])})
    t2 = await join(natter, idp, troll)
    await a.expect_status(troll, True)
    await t2.close()
    await a.expect_status(troll, False)
    time.sleep(0.3)  # session ends are recorded off the IO thread

    # 7. The analytics a dashboard charts.
    status, doc = mod("GET", "/activity/channels")
    counts = {c["channel"]: c["message_count"]
              for c in check_envelope(doc, "message_count_by_channel")["channels"]}
    assert counts["support"] == 2 and counts["general"] == 0, counts
    status, doc = mod("GET", "/activity/sessions")
    days = check_envelope(doc, "session_activity")["session_activity"]
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert [d["session_count"] for d in days if d["session_date"] == today][0] >= 2, days
    status, doc = mod("GET", f"/activity/sessions?user_id={troll.sub}")
    mine = check_envelope(doc, "session_activity")["session_activity"]
    assert [d["session_count"] for d in mine if d["session_date"] == today] == [2], mine
