"""Admin dashboards get the analytics over the WebSocket: a second or so after connecting
(never inside the connect sequence), then at most once per --analytics-interval and only when
the figures changed. Other connections never get them."""

import asyncio
import time

from natter_e2e import assert_no_message, join, make_user

ANALYTICS = {"session_activity", "message_count_by_channel"}


async def recv_analytics(client, timeout=5):
    """The next analytics pair, by type, skipping chat and presence."""
    got = {}
    deadline = time.monotonic() + timeout
    while set(got) != ANALYTICS:
        m = await client.recv(max(0.1, deadline - time.monotonic()))
        if m["type"] in ANALYTICS:
            assert m["sender"] == "Server"
            got[m["type"]] = m["payload"]
    return got


async def test_admin_dashboard_gets_analytics_after_connect_then_on_change(start_natter, idp):
    natter = start_natter("--analytics-interval", "2")
    admin = make_user("boss", admin=True, dashboard=True)
    alice = make_user("alice")
    a = await join(natter, idp, alice)
    started = time.monotonic()
    d = await join(natter, idp, admin)
    assert not ANALYTICS & set(d.types), d.types  # not inside the connect sequence

    first = await recv_analytics(d, 5)
    assert time.monotonic() - started >= 0.5, "analytics arrived inside the connect burst"
    days = first["session_activity"]["session_activity"]
    assert days and set(days[0]) == {"session_date", "session_count", "total_duration"}
    counts = {c["channel"]: c["message_count"] for c in first["message_count_by_channel"]["channels"]}
    assert counts.get("general", 0) == 0

    # Unchanged figures are not sent again.
    await assert_no_message(d.ws, 2.5)

    await a.chat("one for the charts")
    update = await recv_analytics(d, 6)
    counts = {c["channel"]: c["message_count"] for c in update["message_count_by_channel"]["channels"]}
    assert counts["general"] == 1


async def test_only_admin_dashboards_get_analytics(start_natter, idp):
    natter = start_natter("--analytics-interval", "1")
    plain_dashboard = await join(natter, idp, make_user("viewer", dashboard=True))
    admin_chat = await join(natter, idp, make_user("root", admin=True))
    await asyncio.sleep(2.5)
    for c in (plain_dashboard, admin_chat):
        while True:
            try:
                m = await c.recv(0.2)
            except Exception:
                break
            assert m["type"] not in ANALYTICS, (c.user.username, m)
    admin = await join(natter, idp, make_user("boss", admin=True, dashboard=True))
    got = await recv_analytics(admin, 5)
    assert isinstance(got["session_activity"]["session_activity"], list)
    assert isinstance(got["message_count_by_channel"]["channels"], list)
