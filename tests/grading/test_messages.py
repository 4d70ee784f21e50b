"""The grader's unpacker: the same messages as jupyter_client's own decoding, headers' dates included."""

from __future__ import annotations

import datetime
import json
import random
import uuid
import warnings

import pytest
from jupyter_client.jsonutil import extract_dates
from jupyter_client.session import Session, json_unpacker

from coursetools.grading import messages


def _dates(count: int) -> list[str]:
    """ISO-8601-like texts: valid and invalid days and times, 1-6 digit fractions, every kind of time zone."""
    rng = random.Random(20261204)
    zones = ["", "Z", "+00:00", "-05:30", "+0530", "+14:00", "-23:59", "+24:00", "+00:60", "-0000", "+05"]
    texts = []
    for _ in range(count):
        fraction = rng.choice(["", "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 6)))])
        texts.append(f"{rng.choice([1, 999, 2026, 9999]):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}T"
                     f"{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}{fraction}"
                     f"{rng.choice(zones)}")
    return texts + ["2026-12-04T19:10:12.123456Z", "not a date", ""]


def _jupyter_client(frame: bytes):
    """What jupyter_client makes of a header frame: its unpacker, then its dates (or the error it raises)."""
    try:
        return extract_dates(json_unpacker(frame))
    except Exception as error:  # noqa: BLE001 - compared below
        return type(error).__name__


def _ours(frame: bytes):
    try:
        return extract_dates(messages.unpack(frame))
    except Exception as error:  # noqa: BLE001
        return type(error).__name__


def test_header_dates_come_out_as_jupyter_client_makes_them():
    header = {"msg_id": "1", "msg_type": "stream", "username": "u", "session": "s", "version": "5.3"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # jupyter_client's warning about naive dates
        for date in _dates(5000):
            frame = json.dumps({**header, "date": date}).encode()
            theirs, ours = _jupyter_client(frame), _ours(frame)
            assert ours == theirs, date
            if isinstance(theirs, dict) and isinstance(theirs["date"], datetime.datetime):
                assert ours["date"].isoformat() == theirs["date"].isoformat(), date
                assert ours["date"].utcoffset() == theirs["date"].utcoffset(), date


def test_only_a_header_is_read_differently():
    """A header's date is a datetime as it is unpacked (extract_dates then leaves it); a content or metadata frame
    keeps its text, whatever it holds: ``extract_dates`` never sees those."""
    header = json.dumps({"msg_id": "1", "msg_type": "status", "date": "2026-12-04T19:10:12.5Z"}).encode()
    assert messages.unpack(header)["date"] == datetime.datetime(2026, 12, 4, 19, 10, 12, 500000, datetime.timezone.utc)
    content = json.dumps({"date": "2026-12-04T19:10:12Z", "text": "hello"}).encode()
    assert messages.unpack(content) == {"date": "2026-12-04T19:10:12Z", "text": "hello"}
    assert messages.unpack(b"[1, 2]") == [1, 2] and messages.unpack("null") is None


@pytest.mark.parametrize("date", ["2026-12-04T19:10:12.123456Z", "2026-12-04T19:10:12+05:30"])
def test_a_signed_message_deserializes_to_the_same_message(date):
    key = uuid.uuid4().hex.encode()
    sender = Session(key=key)
    msg = sender.msg("stream", {"name": "stdout", "text": "hi\n"}, parent=sender.msg_header("execute_request"))
    msg["header"]["date"] = msg["parent_header"]["date"] = date
    _, frames = sender.feed_identities(sender.serialize(msg))
    theirs = Session(key=key).deserialize(frames)
    ours = Session(key=key, unpacker=messages.UNPACKER).deserialize(frames)
    assert ours == theirs
    assert isinstance(ours["header"]["date"], datetime.datetime)
    assert ours["header"]["date"].isoformat() == theirs["header"]["date"].isoformat()


def test_a_frame_of_too_many_values_is_refused_before_it_is_decoded():
    """``[{},{},...]`` decodes into about 27 times its size: counted first, refused (the loop drops the message);
    text with as many commas, inside a string, is an ordinary output."""
    bomb = b"[" + b"{}," * messages.MAX_FRAME_VALUES + b"{}]"
    with pytest.raises(ValueError, match="too many values"):
        messages.unpack(bomb)
    text = json.dumps({"name": "stdout", "text": "1, " * (2 * messages.MAX_FRAME_VALUES)}).encode()
    assert messages.unpack(text)["name"] == "stdout"


def test_the_grader_refuses_a_request_of_too_many_values():
    import socket
    import threading

    from helpers.checks import _protocol

    left, right = socket.socketpair()
    with left, right:
        body = b"[" + b"{}," * _protocol.MAX_MESSAGE_VALUES + b"{}]"
        sender = threading.Thread(target=left.sendall, args=(len(body).to_bytes(4, "big") + body,), daemon=True)
        sender.start()
        with pytest.raises(ValueError, match="too many values"):
            _protocol.receive_message(right)
        sender.join(timeout=30)
