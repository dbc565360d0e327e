"""The call page says how the call sounds: the engine's CallQuality in a word (good, fair,
poor) coloured by it, the figures on hover; it follows each new report, is shown only while the
call is connected, and goes with the call."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.ui.bridge import QtBridge
from softphone.ui.look import Tone, tone_color
from softphone.ui.phone.view import PhoneView
from tests.ui.phone_fakes import FakePhone, incoming, state


def quality(mos: float, loss: float = 0.0, final: bool = False) -> ev.CallQuality:
    return ev.CallQuality(
        call_id="c1", codec="PCMU", rx_packets=500, rx_loss_pct=loss, rx_jitter_ms=3.2,
        tx_loss_pct=0.0, rtt_ms=41.0, one_way_ms=60.0, mos=mos, final=final,
    )  # fmt: skip


def test_the_call_page_shows_the_calls_quality_as_it_changes(
    qtbot: QtBot, bridge: QtBridge
) -> None:
    bus = EventBus()
    view = PhoneView(FakePhone(), bus, bridge)
    qtbot.addWidget(view)
    view.resize(420, 640)
    view.show()
    qtbot.waitExposed(view)
    label = view.call_page.quality_label
    bus.publish(incoming("c1"))
    bus.publish(quality(4.4))  # not connected yet: nothing to rate
    assert not label.isVisible()

    bus.publish(state("c1", ev.CallState.CONFIRMED, direction=ev.Direction.INBOUND))
    bus.publish(quality(4.39))
    assert label.isVisible() and label.text() == "Call quality: good"
    assert label.toolTip() == (
        "MOS 4.4 (E-model estimate) · PCMU · lost 0.0 % · jitter 3 ms · round trip 41 ms"
    )
    assert label.palette().windowText().color() == tone_color(Tone.OK, view.palette())

    bus.publish(quality(3.8, loss=4.0))
    assert label.text() == "Call quality: fair"
    assert label.palette().windowText().color() == tone_color(Tone.BUSY, view.palette())
    bus.publish(quality(3.38, loss=9.6))
    assert label.text() == "Call quality: poor" and "lost 9.6 %" in label.toolTip()
    assert label.palette().windowText().color() == tone_color(Tone.BAD, view.palette())

    bus.publish(quality(4.41, final=True))  # the call's summary as it ends: not a new reading
    assert label.text() == "Call quality: poor"
    bus.publish(state("c1", ev.CallState.DISCONNECTED, direction=ev.Direction.INBOUND))
    bus.publish(incoming("c2"))
    assert not label.isVisible()  # the next call starts unrated
