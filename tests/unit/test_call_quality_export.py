"""The diagnostics zip's ``call-quality.json``: how each of the run's recent answered calls
sounded as it ended (the engine's final CallQuality), with when, which way and how long — and
never who: the number, name and SIP URI of a call reach no part of the zip, whether or not
"Include phone numbers" is ticked. Fed the events the engine and the session publish, in the
order they publish them, through the app's own bus."""

from __future__ import annotations

import datetime
import json
import zipfile
from pathlib import Path

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.quality_log import CallQualityLog
from softphone.core.session_events import SessionReason, SessionState, SessionStateChanged
from softphone.storage.settings import AppSettings
from softphone.ui.diagnostics import Diagnostics
from tests.support.canary import search_bytes

NUMBER = "+15550123987"
NAME = "Carla Canary"
URI = f"sip:{NUMBER}@pbx.example.com"


def _call(bus: EventBus, call_id: str, direction: ev.Direction, *, mos: float = 4.41) -> None:
    """A call as the engine reports it: up, two quality reports, the final one, its end."""
    who = {"remote_uri": URI, "remote_number": NUMBER, "remote_display": NAME}
    if direction is ev.Direction.INBOUND:
        bus.publish(
            ev.IncomingCall(
                call_id=call_id, account_id="session", auto_answer_in_s=None,
                auto_answer_reason=None, waiting=False, **who,
            )
        )  # fmt: skip
    state = {"call_id": call_id, "account_id": "session", "direction": direction, **who}
    bus.publish(ev.CallStateChanged(state=ev.CallState.CONFIRMED, connected=True, **state))
    for final, jitter in ((False, 3.0), (True, 7.5)):
        bus.publish(
            ev.CallQuality(
                call_id=call_id, codec="PCMU", rx_packets=1500, rx_loss_pct=2.5,
                rx_jitter_ms=jitter, tx_loss_pct=1.0, rtt_ms=48.0, one_way_ms=64.0, mos=mos,
                final=final,
            )
        )  # fmt: skip
    bus.publish(
        ev.CallStateChanged(
            state=ev.CallState.DISCONNECTED, connected=True, duration_s=31.26, sip_code=200,
            at=1_790_000_000.0, **state,
        )
    )  # fmt: skip


def _export(tmp_path: Path, log: CallQualityLog, name: str, *, numbers: bool) -> Path:
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    diagnostics = Diagnostics(logs, calls=log.entries)
    return diagnostics.export(tmp_path / name, AppSettings(), include_numbers=numbers)


def _calls_in(zip_path: Path) -> list[dict[str, object]]:
    with zipfile.ZipFile(zip_path) as zf:
        calls: list[dict[str, object]] = json.loads(zf.read("call-quality.json"))["calls"]
    return calls


def test_the_export_holds_each_calls_final_figures_and_nobody(tmp_path: Path) -> None:
    bus = EventBus()
    log = CallQualityLog()
    log.attach(bus.subscribe)
    _call(bus, "1", ev.Direction.INBOUND)
    _call(bus, "2", ev.Direction.OUTBOUND, mos=3.2)
    # a call never answered has no quality to report
    bus.publish(
        ev.CallStateChanged(
            call_id="3", account_id="session", state=ev.CallState.DISCONNECTED,
            direction=ev.Direction.OUTBOUND, remote_uri=URI, remote_number=NUMBER,
            remote_display=NAME, sip_code=486,
        )
    )  # fmt: skip

    for numbers in (False, True):  # the figures hold no number, whatever the person ticks
        zip_path = _export(tmp_path, log, f"diagnostics-{numbers}.zip", numbers=numbers)
        newest, oldest = _calls_in(zip_path)
        assert newest["direction"] == "outbound" and newest["verdict"] == "poor"
        assert oldest == {
            "ended": oldest["ended"],
            "direction": "inbound",
            "duration_s": 31.3,
            "codec": "PCMU",
            "mos": 4.41,
            "verdict": "good",
            "jitter_ms": 7.5,  # the final report's, not the one before
            "loss_pct": 2.5,
            "far_end_loss_pct": 1.0,
            "rtt_ms": 48.0,
            "one_way_ms": 64.0,
            "packets_received": 1500,
        }
        ended = datetime.datetime.fromisoformat(str(oldest["ended"]))  # local, with its offset
        assert ended.utcoffset() is not None and ended.timestamp() == 1_790_000_000
        with zipfile.ZipFile(zip_path) as zf:
            for member in zf.namelist():
                data = zf.read(member)
                for who in (NUMBER, NUMBER[-7:], NAME, "pbx.example.com"):
                    assert not search_bytes(member, data, {"who": who}), (member, who)


def test_only_the_newest_calls_are_kept_and_a_sign_out_forgets_them(tmp_path: Path) -> None:
    bus = EventBus()
    log = CallQualityLog(limit=3)
    log.attach(bus.subscribe)
    for n in range(5):
        _call(bus, str(n), ev.Direction.OUTBOUND, mos=4.0 - n / 10)
    assert [c["mos"] for c in _calls_in(_export(tmp_path, log, "a.zip", numbers=False))] == [
        3.6,
        3.7,
        3.8,
    ]
    bus.publish(
        SessionStateChanged(state=SessionState.SIGNED_OUT, reason=SessionReason.USER_SIGN_OUT)
    )
    assert _calls_in(_export(tmp_path, log, "b.zip", numbers=False)) == []
