"""What is kept to send again to a page that reconnects."""

from __future__ import annotations

from bot.channels.web.replay import Replay


def test_what_came_after_the_last_id_read_in_order() -> None:
    replay = Replay()
    ids = []
    for piece in ("one", "two", "three"):
        number, event_id = replay.new_id()
        replay.remember("a", number, piece)
        ids.append(event_id)
    assert replay.since("a", ids[0]) == [(ids[1], "two"), (ids[2], "three")]
    assert replay.since("a", ids[2]) == []
    assert replay.since("b", ids[0]) == []
    assert replay.since("a", None) == []  # a fresh page: its history is its own


def test_ids_of_another_process_or_malformed_ones_mean_nothing() -> None:
    replay = Replay()
    number, event_id = replay.new_id()
    replay.remember("a", number, "x")
    assert replay.since("a", f"{Replay().epoch}.0") == []
    for bad in ("", "garbage", f"{replay.epoch}.", f"{replay.epoch}.-1", f"{replay.epoch}.1e5"):
        assert replay.since("a", bad) == []
    assert replay.since("a", f"{replay.epoch}.0") == [(event_id, "x")]


def test_only_recent_pieces_and_only_a_few_are_kept() -> None:
    now = [0.0]
    replay = Replay(keep_seconds=120, per_visitor=3, clock=lambda: now[0])
    start = f"{replay.epoch}.0"
    for piece in range(5):
        number, _ = replay.new_id()
        replay.remember("a", number, piece)
    assert [piece for _, piece in replay.since("a", start)] == [2, 3, 4]
    now[0] += 121
    assert replay.since("a", start) == []
