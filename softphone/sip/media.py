"""Where calls' audio goes: the audio bridge port when the app has sound devices, else pjsua2's
null device (headless runs, tests). SIP thread only."""

from __future__ import annotations

import pjsua2 as pj

from softphone.core import events as ev

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from softphone.audio.ring import AudioRings
    from softphone.sip.audio_port import AudioBridgePort


class CallAudio:
    """Connects each call's audio to the sound device's port, honouring mute; gives local tones
    their sinks (``speaker``, ``ringer``); sets the speaker and microphone levels."""

    def __init__(self, endpoint: pj.Endpoint, rings: AudioRings | None) -> None:
        self._ep = endpoint
        self._rings = rings
        self._port: AudioBridgePort | None = None
        self._ringer_port: AudioBridgePort | None = None
        self.levels = (1.0, 1.0)  # (speaker, microphone) as last set
        if rings is not None:
            # Imported here: headless runs without sound devices never load ctypes and the port.
            from softphone.sip.audio_port import create_audio_port

            self._port = create_audio_port(rings.capture, rings.playback)

    def set_levels(self, speaker: float, mic: float) -> None:
        """Gains on the sound device's bridge port (1.0 unchanged, 0 silent).

        The conference bridge scales the samples while it mixes, on its clock thread in C, so
        the audio callbacks pay nothing. Seen from the port, pjsua2's "rx" is what the bridge
        transmits to it (our speaker) and "tx" what it takes from it (our microphone). They are
        the port's own, independent of its connections: mute (a disconnected microphone) stays
        silent whatever the gain, and every call, now or later, hears the same levels. The port
        lives as long as the endpoint, so a device switch keeps them too. Without sound devices
        there is nothing to scale; the values are kept for ``levels``.
        """
        self.levels = (speaker, mic)
        if self._port is not None:
            self._port.adjustRxLevel(speaker)
            self._port.adjustTxLevel(mic)

    def connect(self, call_audio: Any, *, muted: bool) -> None:
        if self._port is not None:
            speaker = microphone = self._port
        else:
            devices = self._ep.audDevManager()
            speaker, microphone = devices.getPlaybackDevMedia(), devices.getCaptureDevMedia()
        call_audio.startTransmit(speaker)
        # Muting disconnects the microphone: the bridge then sends real silence to the call.
        if muted:
            microphone.stopTransmit(call_audio)
        else:
            microphone.startTransmit(call_audio)

    def speaker(self) -> Any:
        """The speaker's bridge port (pjsua2's null device without sound devices)."""
        if self._port is not None:
            return self._port
        return self._ep.audDevManager().getPlaybackDevMedia()

    def ringer(self) -> Any | None:
        """A bridge port into the ringer ring while a ringer device drains it, else None.

        Created on first use and kept until ``close``: dropping a port while the bridge's clock
        runs races its callbacks against the object's teardown.
        """
        if self._rings is None or not self._rings.ringer.active:
            return None
        if self._ringer_port is None:
            from softphone.audio.ring import PcmRing
            from softphone.sip.audio_port import create_audio_port

            # The ringer has no microphone: an idle ring (never started) reads silence.
            self._ringer_port = create_audio_port(PcmRing(), self._rings.ringer, "vicifast-ringer")
        return self._ringer_port

    def stats(self) -> ev.AudioStats | None:
        """The bridge's counters, or None without sound devices."""
        if self._rings is None or self._port is None:
            return None
        mic, speaker = self._rings.capture.stats(), self._rings.playback.stats()
        return ev.AudioStats(
            mic_underruns=mic.underruns,
            mic_overruns=mic.overruns,
            mic_corrections=mic.corrections,
            mic_fill_ms=round(mic.fill_ms, 1),
            speaker_underruns=speaker.underruns,
            speaker_overruns=speaker.overruns,
            speaker_corrections=speaker.corrections,
            speaker_fill_ms=round(speaker.fill_ms, 1),
            port_errors=self._port.errors,
        )

    def close(self) -> None:
        """Before libDestroy: stop the clock thread, then drop the port it calls into."""
        if self._port is not None or self._ringer_port is not None:
            self._ep.audDevManager().setNoDev()
            self._port = self._ringer_port = None
