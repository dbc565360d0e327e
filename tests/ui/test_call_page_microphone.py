"""The call page warns while a call has no microphone: the sound devices' state as the audio
controller has it (a NullBackend opens a stream without one; a fake backend's microphone comes
and goes), followed through the controller's events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from softphone.audio.backend import AudioDevice, NullBackend, NullStream
from softphone.audio.controller import AudioController
from softphone.audio.device_events import AudioDeviceEvent, AudioDevicesOpened
from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.ui.bridge import QtBridge
from softphone.ui.phone.view import PhoneView
from softphone.ui.settings.sound import has_microphone
from tests.ui.phone_fakes import FakePhone, incoming, state

WARNING = "No microphone: the other party cannot hear you. Check Settings → Sound."


class OneMicBackend(NullBackend):
    """A NullBackend whose streams have a microphone while ``mic`` is set."""

    mic: AudioDevice | None = AudioDevice("mic", "Headset microphone", "Fake", 1, 0)

    def input_devices(self) -> list[AudioDevice]:
        return [self.mic] if self.mic else []

    def open_duplex(self, *args: object, **kwargs: object) -> NullStream:
        stream = NullStream()
        stream.input_device = self.mic
        return stream


@pytest.fixture
def events() -> list[AudioDeviceEvent]:
    return []


@pytest.fixture
def backend() -> OneMicBackend:
    return OneMicBackend()


@pytest.fixture
def audio(backend: OneMicBackend, events: list[AudioDeviceEvent]) -> Iterator[AudioController]:
    controller = AudioController(backend, AudioRings.create(), events.append)
    yield controller
    controller.close()


def make_view(qtbot: QtBot, bus: EventBus, bridge: QtBridge, audio: AudioController) -> PhoneView:
    view = PhoneView(FakePhone(), bus, bridge, microphone=lambda: has_microphone(audio))
    qtbot.addWidget(view)
    view.resize(420, 640)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_a_call_without_a_microphone_shows_the_warning(
    qtbot: QtBot, bridge: QtBridge, events: list[AudioDeviceEvent]
) -> None:
    audio = AudioController(NullBackend(), AudioRings.create(), events.append)
    try:
        audio.open()  # the NullBackend's stream: no microphone, no speaker
        bus = EventBus()
        view = make_view(qtbot, bus, bridge, audio)
        assert not view.call_page.mic_warning.isVisible()  # no call: nothing to warn about
        bus.publish(incoming("c1"))
        bus.publish(state("c1", ev.CallState.CONFIRMED, direction=ev.Direction.INBOUND))
        assert view.call_page.isVisible()
        assert view.call_page.mic_warning.isVisible()
        assert view.call_page.mic_warning.text() == WARNING
    finally:
        audio.close()


def test_the_warning_follows_the_microphone_during_a_call(
    qtbot: QtBot,
    bridge: QtBridge,
    audio: AudioController,
    backend: OneMicBackend,
    events: list[AudioDeviceEvent],
) -> None:
    audio.open()
    bus = EventBus()
    view = make_view(qtbot, bus, bridge, audio)
    bus.publish(state("c1", ev.CallState.CONFIRMED))
    warning = view.call_page.mic_warning
    assert view.call_page.isVisible() and not warning.isVisible()
    backend.mic = None  # unplugged; the stream reopens without one
    audio.switch(None, None)
    assert isinstance(events[-1], AudioDevicesOpened) and events[-1].input_id is None
    view.on_audio_event(events[-1])  # as the bridge delivers it
    assert warning.isVisible()
    backend.mic = AudioDevice("mic2", "USB microphone", "Fake", 1, 0)
    audio.switch(None, None)
    view.on_audio_event(events[-1])
    assert not warning.isVisible()
