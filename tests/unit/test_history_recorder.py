"""HistoryRecorder (engine events → rows) and HistoryWriter (the one thread on the database)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.errors import NotDeleted
from softphone.core.secret import Secret
from softphone.storage import history as h
from softphone.storage.history import (
    CallRecord,
    HistoryChanged,
    HistoryRecorder,
    HistoryStore,
    HistoryWriter,
    Outcome,
)
from softphone.storage.history.calls import ENDED_BY_SLEEP
from softphone.storage.history.errors import HistoryClosed, HistoryUnreadable
from tests.unit.history_kit import T0, MemorySecrets, call

S = ev.CallState


def incoming(call_id: str = "c1", at: float = T0, auto: float | None = None) -> ev.IncomingCall:
    return ev.IncomingCall(
        at=at,
        call_id=call_id,
        account_id="acc1",
        remote_uri="sip:+15550102030@pbx.example",
        remote_number="+15550102030",
        remote_display="José Álvarez",
        auto_answer_in_s=auto,
        auto_answer_reason=None if auto is None else ev.AnswerReason.HEADER,
        waiting=False,
    )


def state(
    s: ev.CallState,
    at: float,
    *,
    call_id: str = "c1",
    direction: ev.Direction = ev.Direction.INBOUND,
    code: int = 0,
    reason: str = "",
    duration: float = 0.0,
    connected: bool = False,
    answered_by: ev.AnswerReason | None = None,
    display: str = "José Álvarez",
) -> ev.CallStateChanged:
    return ev.CallStateChanged(
        at=at,
        call_id=call_id,
        account_id="acc1",
        state=s,
        direction=direction,
        remote_uri="sip:+15550102030@pbx.example",
        remote_number="+15550102030",
        remote_display=display,
        sip_code=code,
        reason=reason,
        duration_s=duration,
        connected=connected,
        answered_by=answered_by,
    )


@pytest.fixture
def rows() -> list[CallRecord]:
    return []


@pytest.fixture
def recorder(rows: list[CallRecord]) -> HistoryRecorder:
    return HistoryRecorder(rows.append)


def test_an_answered_incoming_call(recorder: HistoryRecorder, rows: list[CallRecord]) -> None:
    recorder.on_incoming(incoming())
    recorder.on_state(state(S.INCOMING, T0 + 0.01))
    recorder.on_state(state(S.CONNECTING, T0 + 4, answered_by=ev.AnswerReason.MANUAL))
    recorder.on_state(state(S.CONFIRMED, T0 + 4.1, connected=True))
    assert rows == []  # written when it ends
    recorder.on_state(
        state(S.DISCONNECTED, T0 + 64.1, code=200, reason="Normal call clearing", duration=60.0,
              connected=True, answered_by=ev.AnswerReason.MANUAL)
    )  # fmt: skip
    assert rows == [
        CallRecord(
            direction=ev.Direction.INBOUND,
            remote_number="+15550102030",
            remote_name="José Álvarez",
            account_id="acc1",
            started_at=T0,
            answered_at=T0 + 4.1,
            ended_at=T0 + 64.1,
            duration_s=60.0,
            outcome=Outcome.ANSWERED,
            sip_code=200,
            sip_reason="Normal call clearing",
            auto_answered=False,
        )
    ]


def test_an_auto_answered_call(recorder: HistoryRecorder, rows: list[CallRecord]) -> None:
    recorder.on_incoming(incoming(auto=0.0))
    recorder.on_state(state(S.CONFIRMED, T0 + 0.2, connected=True,
                            answered_by=ev.AnswerReason.HEADER))  # fmt: skip
    recorder.on_state(state(S.DISCONNECTED, T0 + 10.2, code=200, duration=10.0, connected=True,
                            answered_by=ev.AnswerReason.HEADER))  # fmt: skip
    (row,) = rows
    assert row.auto_answered
    assert row.outcome is Outcome.ANSWERED


@pytest.mark.parametrize(
    ("code", "reason", "outcome"),
    [
        (487, "Request Terminated", Outcome.MISSED),  # the caller hung up
        (408, "Request Timeout", Outcome.MISSED),
        (486, "Busy Here", Outcome.REJECTED),  # the agent rejected
        (603, "Decline", Outcome.REJECTED),
        (480, "Temporarily Unavailable", Outcome.REJECTED),
        (488, "Not Acceptable Here", Outcome.FAILED),
        (500, "Internal Server Error", Outcome.FAILED),
    ],
)
def test_unanswered_incoming_calls(
    recorder: HistoryRecorder, rows: list[CallRecord], code: int, reason: str, outcome: Outcome
) -> None:
    recorder.on_incoming(incoming())
    recorder.on_state(state(S.INCOMING, T0))
    recorder.on_state(state(S.DISCONNECTED, T0 + 20, code=code, reason=reason))
    (row,) = rows
    assert (row.outcome, row.sip_code, row.sip_reason) == (outcome, code, reason)
    assert row.answered_at is None
    assert row.duration_s == 0.0
    assert not row.auto_answered


def test_a_failed_outgoing_call_keeps_its_sip_cause(
    recorder: HistoryRecorder, rows: list[CallRecord]
) -> None:
    out = ev.Direction.OUTBOUND
    recorder.on_state(state(S.CALLING, T0, direction=out, display=""))
    recorder.on_state(state(S.RINGING, T0 + 1, direction=out, code=180, display="Bob"))
    recorder.on_state(state(S.DISCONNECTED, T0 + 9, direction=out, code=486, reason="Busy Here",
                            display="Bob"))  # fmt: skip
    (row,) = rows
    assert (row.direction, row.outcome, row.sip_code) == (out, Outcome.FAILED, 486)
    assert (row.started_at, row.ended_at, row.remote_name) == (T0, T0 + 9, "Bob")


def test_an_answered_outgoing_call(recorder: HistoryRecorder, rows: list[CallRecord]) -> None:
    out = ev.Direction.OUTBOUND
    recorder.on_state(state(S.CALLING, T0, direction=out))
    recorder.on_state(state(S.CONFIRMED, T0 + 5, direction=out, code=200, connected=True))
    recorder.on_state(state(S.DISCONNECTED, T0 + 35, direction=out, code=200, duration=30.0,
                            connected=True))  # fmt: skip
    (row,) = rows
    assert (row.outcome, row.answered_at, row.duration_s) == (Outcome.ANSWERED, T0 + 5, 30.0)


def test_a_call_first_seen_at_its_end(recorder: HistoryRecorder, rows: list[CallRecord]) -> None:
    recorder.on_state(state(S.DISCONNECTED, T0 + 100, code=200, duration=40.0, connected=True))
    (row,) = rows
    assert row.started_at == T0 + 60
    assert row.answered_at == T0 + 60


def test_overlapping_calls_are_kept_apart(
    recorder: HistoryRecorder, rows: list[CallRecord]
) -> None:
    recorder.on_incoming(incoming("a"))
    recorder.on_incoming(incoming("b", at=T0 + 1))
    recorder.on_state(state(S.DISCONNECTED, T0 + 5, call_id="b", code=487))
    recorder.on_state(state(S.CONFIRMED, T0 + 6, call_id="a", connected=True))
    recorder.on_state(state(S.DISCONNECTED, T0 + 9, call_id="a", code=200, duration=3.0,
                            connected=True))  # fmt: skip
    assert [(r.started_at, r.outcome) for r in rows] == [
        (T0 + 1, Outcome.MISSED),
        (T0, Outcome.ANSWERED),
    ]


def quality(mos: float, *, call_id: str = "c1", final: bool = False) -> ev.CallQuality:
    return ev.CallQuality(
        call_id=call_id, codec="PCMU", rx_packets=100, rx_loss_pct=0.0, rx_jitter_ms=1.0,
        tx_loss_pct=0.0, rtt_ms=10.0, one_way_ms=30.0, mos=mos, final=final,
    )  # fmt: skip


def test_a_call_keeps_how_it_sounded_as_it_ended(rows: list[CallRecord]) -> None:
    bus = EventBus()
    HistoryRecorder(rows.append).attach(bus.subscribe)
    bus.publish(incoming())
    bus.publish(state(S.CONFIRMED, T0 + 1, connected=True))
    bus.publish(quality(4.39))
    bus.publish(quality(3.38, call_id="c9"))  # another call's
    bus.publish(quality(3.71, final=True))  # the stream's last figures, just before the end
    bus.publish(state(S.DISCONNECTED, T0 + 9, code=200, duration=8.0, connected=True))
    bus.publish(incoming("c2"))
    bus.publish(state(S.DISCONNECTED, T0 + 12, call_id="c2", code=487))  # missed: no reading
    assert [r.mos for r in rows] == [3.71, None]


def test_the_recorder_subscribes_on_the_event_bus(rows: list[CallRecord]) -> None:
    bus = EventBus()
    detach = HistoryRecorder(rows.append).attach(bus.subscribe)
    bus.publish(incoming())
    bus.publish(state(S.DISCONNECTED, T0 + 3, code=487))
    assert [r.outcome for r in rows] == [Outcome.MISSED]
    detach()
    bus.publish(incoming("c2"))
    bus.publish(state(S.DISCONNECTED, T0 + 3, call_id="c2", code=487))
    assert len(rows) == 1


# ---- the writer thread -----------------------------------------------------------------------


@pytest.fixture
def secrets_() -> MemorySecrets:
    return MemorySecrets()


@pytest.fixture
def writer(tmp_path: Path, secrets_: MemorySecrets) -> Iterator[HistoryWriter]:
    w = HistoryWriter(tmp_path, secrets_).start()
    yield w
    w.stop()


def test_jobs_run_in_order_on_the_writer_thread(writer: HistoryWriter) -> None:
    writer.opened.result(5)
    seen: list[tuple[str, HistoryChanged]] = []
    writer.add_listener(lambda change: seen.append((threading.current_thread().name, change)))
    first = writer.record(call(1))
    second = writer.record(call(2))
    page = writer.submit(lambda store: [e.id for e in store.page()])
    assert page.result(5) == [second.result(5), first.result(5)]
    thread = writer.submit(lambda store: threading.current_thread().name).result(5)
    assert thread == "history-writer"
    assert seen == [
        ("history-writer", HistoryChanged("added", first.result())),
        ("history-writer", HistoryChanged("added", second.result())),
    ]


def test_recorder_into_writer_end_to_end(writer: HistoryWriter) -> None:
    recorder = HistoryRecorder(writer.record)
    recorder.on_incoming(incoming())
    recorder.on_state(state(S.DISCONNECTED, T0 + 20, code=487, reason="Request Terminated"))
    assert writer.submit(lambda s: s.missed_count()).result(5) == 1
    (entry,) = writer.submit(lambda s: s.page()).result(5)
    assert (entry.remote_name, entry.outcome) == ("José Álvarez", Outcome.MISSED)
    assert writer.delete(entry.id).result(5)
    assert writer.submit(lambda s: s.count()).result(5) == 0


def test_an_unreadable_history_fails_jobs_until_start_fresh(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    HistoryStore.open(tmp_path, secrets_).close()
    secrets_.set(h.KEY_NAME, Secret("00" * 32))
    writer = HistoryWriter(tmp_path, secrets_).start()
    try:
        with pytest.raises(HistoryUnreadable):
            writer.opened.result(5)
        with pytest.raises(HistoryUnreadable):
            writer.record(call(1)).result(5)
        writer.start_fresh().result(5)
        assert writer.record(call(1)).result(5)
        assert len(list(tmp_path.glob("calls.db.unreadable-*"))) >= 1
    finally:
        writer.stop()


def test_a_history_whose_key_is_gone_is_set_aside_and_a_new_one_records_and_says_so_once(
    tmp_path: Path, secrets_: MemorySecrets
) -> None:
    # A wipe interrupted between the key and the file, or a keychain reset (issue 16): before,
    # every job failed until the user found Recents' "Clear all".
    old = HistoryStore.open(tmp_path, secrets_)
    old.close()
    secrets_.delete(h.KEY_NAME)
    writer = HistoryWriter(tmp_path, secrets_).start()
    heard: list[HistoryChanged] = []
    try:
        writer.opened.result(5)
        writer.add_listener(heard.append)  # after the open: still told
        assert writer.record(call(1)).result(5)
        assert writer.submit(lambda s: s.count()).result(5) == 1
        assert len(list(tmp_path.glob("calls.db.unreadable-*"))) == 1  # kept, renamed
        assert [c.kind for c in heard].count("set_aside") == 1
        writer.add_listener(heard.append)  # a second listener is not told again
        assert [c.kind for c in heard].count("set_aside") == 1
    finally:
        writer.stop()


def test_clear_all_through_the_writer(
    writer: HistoryWriter, tmp_path: Path, secrets_: MemorySecrets
) -> None:
    writer.record(call(1)).result(5)
    writer.clear_all().result(5)
    assert not any(p.exists() for p in h.db_files(tmp_path))
    assert h.KEY_NAME not in secrets_.values
    with pytest.raises(HistoryClosed):
        writer.record(call(2)).result(5)


def test_erase_then_reopen_starts_a_new_history_under_a_new_key(
    writer: HistoryWriter, tmp_path: Path, secrets_: MemorySecrets
) -> None:
    """A session's wipe closes the history; the next sign-in opens a new one, new key."""
    writer.record(call(1)).result(5)
    old_key = secrets_.values[h.KEY_NAME]
    writer.erase()
    assert not any(p.exists() for p in h.db_files(tmp_path))
    assert h.KEY_NAME not in secrets_.values
    with pytest.raises(HistoryClosed):  # nothing is written between the wipe and a sign-in
        writer.record(call(2)).result(5)
    writer.reopen().result(5)
    new_key = secrets_.values[h.KEY_NAME]
    assert new_key != old_key
    writer.record(call(3)).result(5)
    assert writer.submit(lambda s: s.count()).result(5) == 1
    writer.reopen().result(5)  # one is open: nothing happens
    assert secrets_.values[h.KEY_NAME] == new_key


def test_erase_says_what_is_left_and_where(
    writer: HistoryWriter, tmp_path: Path, secrets_: MemorySecrets
) -> None:
    writer.record(call(1)).result(5)
    stuck = tmp_path / f"{h.DB_NAME}.unreadable-20250131-080000"  # unlink() refuses a folder
    (stuck / "inside").mkdir(parents=True)
    with pytest.raises(NotDeleted) as err:
        writer.erase()
    assert str(err.value) == f"the call history at {stuck} could not be deleted: Is a directory"


def test_a_call_this_app_ended_for_sleep_says_so(
    recorder: HistoryRecorder, rows: list[CallRecord]
) -> None:
    recorder.on_incoming(incoming())
    recorder.on_state(state(S.CONFIRMED, T0 + 4.1, connected=True))
    recorder.ending("c1", ENDED_BY_SLEEP)
    recorder.ending("unknown", ENDED_BY_SLEEP)  # already gone: nothing to mark
    recorder.on_state(
        state(S.DISCONNECTED, T0 + 30, code=200, reason="Normal call clearing", duration=25.9,
              connected=True)
    )  # fmt: skip
    assert [(r.outcome, r.sip_reason) for r in rows] == [(Outcome.ANSWERED, ENDED_BY_SLEEP)]
