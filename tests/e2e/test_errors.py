"""Bad input from a connected client: each gets an `error` reply with the right code, nothing
is broadcast, and the session (and everyone else's) goes on."""

import json
import time

import pytest
import websockets

from natter_e2e import (check_chat_message, check_error, join, make_user, recv_json,
                        wait_closed)

GENERAL = {"type": "chat_message", "channel": "general"}
BOB_SUB = "{bob}"  # replaced by bob's sub in the private-message cases

CASES = {
    # not JSON / not an object / bad "type" / wrong field types
    "not_json": ("hello there", "invalid_json"),
    "truncated_json": ('{"type":"chat_message","channel":"general","message":"x"', "invalid_json"),
    "json_array": ('[{"type":"ping"}]', "invalid_json"),
    "json_string": ('"ping"', "invalid_json"),
    "json_number": ("42", "invalid_json"),
    "json_null": ("null", "invalid_json"),
    "empty_object": ("{}", "invalid_json"),
    "type_not_string": ('{"type":5}', "invalid_json"),
    "type_null": ('{"type":null}', "invalid_json"),
    "message_not_string": (dict(GENERAL, message=5), "invalid_json"),
    "message_is_object": (dict(GENERAL, message={"text": "x"}), "invalid_json"),
    "channel_not_string": ({"type": "chat_message", "channel": 1, "message": "x"},
                           "invalid_json"),
    "recipient_not_string": ({"type": "private_chat_message", "recipient_id": 5,
                              "message": "x"}, "invalid_json"),
    # unknown things
    "unknown_type": ({"type": "launch_missiles"}, "unknown_type"),
    "empty_type": ({"type": ""}, "unknown_type"),
    "unknown_channel": (dict(GENERAL, channel="nowhere", message="x"), "unknown_channel"),
    "unknown_recipient": ({"type": "private_chat_message",
                           "recipient_id": "00000000-0000-0000-0000-000000000000",
                           "message": "x"}, "unknown_recipient"),
    # empty text
    "message_missing": (dict(GENERAL), "empty_message"),
    "message_empty": (dict(GENERAL, message=""), "empty_message"),
    "message_whitespace": (dict(GENERAL, message="  \n\t  "), "empty_message"),
    "private_empty": ({"type": "private_chat_message", "recipient_id": BOB_SUB,
                       "message": " "}, "empty_message"),
    # too long: 4096 bytes is the limit, counted in UTF-8 bytes
    "message_4097_bytes": (dict(GENERAL, message="x" * 4097), "message_too_long"),
    "message_2049_two_byte_chars": (dict(GENERAL, message="é" * 2049), "message_too_long"),
    "private_too_long": ({"type": "private_chat_message", "recipient_id": BOB_SUB,
                          "message": "y" * 5000}, "message_too_long"),
    # control characters
    "nul_char": (dict(GENERAL, message="a\u0000b"), "invalid_message"),
    "bell_char": (dict(GENERAL, message="ding\u0007"), "invalid_message"),
    "escape_char": (dict(GENERAL, message="\u001b[31mred"), "invalid_message"),
    "carriage_return": (dict(GENERAL, message="over\rwrite"), "invalid_message"),
    "private_control_char": ({"type": "private_chat_message", "recipient_id": BOB_SUB,
                              "message": "\u0001"}, "invalid_message"),
}


def _encode(raw, bob_sub):
    if isinstance(raw, dict):
        raw = {k: (bob_sub if v == BOB_SUB else v) for k, v in raw.items()}
        return json.dumps(raw)
    return raw


async def _two_users(natter, idp):
    alice, bob = make_user("alice"), make_user("bob")
    a = await join(natter, idp, alice)
    b = await join(natter, idp, bob)
    await a.expect_status(bob, True)
    return a, b


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_message_gets_error_and_nothing_is_broadcast(natter, idp, case):
    raw, code = CASES[case]
    a, b = await _two_users(natter, idp)
    await a.send(_encode(raw, b.user.sub))
    check_error(await a.recv(), code)
    await a.no_message(0.3)
    await b.no_message(0.3)
    # the session goes on and still chats
    await a.ping()
    await a.chat("still here")
    check_chat_message(await a.recv(), a.user, "still here")
    check_chat_message(await b.recv(), a.user, "still here")
    await a.close()
    await b.close()


async def test_exactly_4096_bytes_is_accepted(natter, idp):
    a, b = await _two_users(natter, idp)
    text = "é" * 2048  # 4096 bytes
    await a.chat(text)
    check_chat_message(await b.recv(), a.user, text)
    await a.close()
    await b.close()


async def test_lone_surrogate_escape_is_refused(natter, idp):
    a, b = await _two_users(natter, idp)
    await a.send('{"type":"chat_message","channel":"general","message":"bad \\ud800 half"}')
    msg = await a.recv()
    assert msg["type"] == "error" and msg["payload"]["code"] in ("invalid_message",
                                                                 "invalid_json"), msg
    await b.no_message(0.3)
    await a.ping()


async def test_error_echoes_string_ref(natter, idp):
    a, b = await _two_users(natter, idp)
    await a.send({"type": "chat_message", "channel": "nowhere", "message": "x", "ref": "r-17"})
    check_error(await a.recv(), "unknown_channel", ref="r-17")
    await a.send({"type": "no_such_thing", "ref": "r-18"})
    check_error(await a.recv(), "unknown_type", ref="r-18")
    await a.send({"type": "chat_message", "channel": "general", "message": "", "ref": "r-19"})
    check_error(await a.recv(), "empty_message", ref="r-19")
    # no ref given: none echoed (check_error pins the exact key set)
    await a.send({"type": "chat_message", "channel": "nowhere", "message": "x"})
    check_error(await a.recv(), "unknown_channel")
    await b.no_message(0.3)


async def test_many_bad_messages_do_not_disconnect(natter, idp):
    a, b = await _two_users(natter, idp)
    for i in range(20):
        await a.send("garbage %d" % i)
    for _ in range(20):
        check_error(await a.recv(), "invalid_json")
    await a.ping()
    await b.no_message(0.3)


async def test_whisper_by_username_is_unknown_recipient(natter, idp):
    """recipient_id is the sub, not the username: refused, and no one hears it."""
    a, b = await _two_users(natter, idp)
    await a.whisper("bob", "who is bob?")  # the username is not the id
    check_error(await a.recv(), "unknown_recipient")
    await b.no_message(0.3)


async def test_binary_frame_is_refused_but_others_are_served(natter, idp):
    a, b = await _two_users(natter, idp)
    await a.ws.send(b'{"type":"chat_message","channel":"general","message":"binary"}')
    try:
        msg = await recv_json(a.ws, 5)
    except AssertionError as e:
        # closed: must be 1003 (unsupported data)
        assert a.ws.close_code == 1003, f"binary frame: {e}; close code {a.ws.close_code}"
        await b.expect_status(a.user, False)
    else:
        check_error(msg, "invalid_json")
        await a.ping()
    await b.no_message(0.3, ignore_types=("user_status",))
    await b.chat("after binary")
    check_chat_message(await b.recv(), b.user, "after binary")


async def test_refresh_token_for_another_subject(natter, idp):
    a, b = await _two_users(natter, idp)
    await a.send({"type": "refresh_token", "token": idp.token(b.user), "ref": "rt"})
    check_error(await a.recv(), "token_subject_mismatch", ref="rt")
    await a.ping()
    await a.chat("i am still alice")
    check_chat_message(await b.recv(), a.user, "i am still alice")


@pytest.mark.parametrize("bad", ["garbage", "forged", "expired", "not_a_string"])
async def test_invalid_refresh_token(natter, idp, keys, bad):
    a, b = await _two_users(natter, idp)
    token = {
        "garbage": "not.a.token",
        "forged": keys["rogue"].sign(idp.claims(a.user)),
        "expired": idp.token(a.user, exp_in=-3600),
        "not_a_string": 12345,
    }[bad]
    await a.send({"type": "refresh_token", "token": token})
    expected = "invalid_json" if bad == "not_a_string" else "invalid_message"
    check_error(await a.recv(), expected)
    await a.ping()
    await b.no_message(0.3)


async def test_good_refresh_token_gets_no_reply(natter, idp):
    a, b = await _two_users(natter, idp)
    await a.send({"type": "refresh_token", "token": idp.token(a.user, exp_in=600)})
    await a.no_message(1.0)
    await a.ping()
    await b.no_message(0.3)
