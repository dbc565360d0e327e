"""AudioBackend on PortAudio, through the ``sounddevice`` package.

Two independent streams (microphone, speaker) rather than one duplex stream: the two may be
different cards with their own clocks, and each ring compensates its own drift. On Linux PortAudio
reaches PulseAudio/PipeWire through ALSA's "pulse"/"default" devices, which follow the system
default; PortAudio gives no hot-plug notice (``refresh`` re-scans, and only with no stream open).
On Linux ``devices_changed`` watches ``/proc/asound/cards`` (a card plugged or unplugged) as the
hint that a re-scan is worth closing the streams for; elsewhere it has no such hint and says no.
On Linux the PortAudio library comes from the system (``libportaudio2``); the Windows and macOS
wheels bundle it.

The queue outside the rings comes from PortAudio's timestamps on every callback: the input block's
age (``currentTime - inputBufferAdcTime``) and the output block's wait (``outputBufferDacTime -
currentTime``). On ALSA's pulse plug-in these include what PulseAudio holds for the stream
(measured against a private PulseAudio: a microphone callback kept late grew the input age from
~15 ms to 2.4 s, in step with the audio it had not delivered yet). A host API that reports no
timestamps (zeros) reports 0 (unknown).

``callback_hook`` is for tests: it is called at the start of every callback with "input" or
"output" and the stream's open count (1 for the first stream the backend opened), on PortAudio's
thread; blocking in it simulates a late callback.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softphone.audio.backend import (
    SAMPLE_RATE,
    AudioDevice,
    AudioStream,
    ErrorCallback,
    StreamStats,
)
from softphone.audio.errors import AudioError, AudioUnavailable, DeviceNotFound
from softphone.audio.ring import PcmReader, PcmWriter

BLOCK_SAMPLES = 160  # 10 ms: small device blocks keep the rings' fill, and so the delay, low
ALSA_CARDS = Path("/proc/asound/cards")
_MAX_QUEUE_S = 60.0  # a timestamp difference beyond this is a clock mix-up, not a queue

CallbackHook = Callable[[str, int], None]


class SoundDeviceBackend:
    """Devices and streams of PortAudio; call it from one thread (the app's audio controller)."""

    name = "sounddevice"

    def __init__(
        self,
        *,
        block_samples: int = BLOCK_SAMPLES,
        latency: float | str = "low",
        cards_file: Path | None = ALSA_CARDS,
        callback_hook: CallbackHook | None = None,
    ) -> None:
        try:
            # untyped module; importing it loads PortAudio, which may be missing
            self._sd: Any = importlib.import_module("sounddevice")
        except OSError as exc:
            raise AudioUnavailable(
                "No sound system: PortAudio is not installed "
                "(on Debian or Ubuntu: sudo apt install libportaudio2)."
            ) from exc
        except ImportError as exc:  # a broken install or bundle: say so, play no sound
            raise AudioUnavailable(
                "No sound system: this installation lacks its PortAudio module (sounddevice); "
                "reinstall VICIfast Desktop."
            ) from exc
        self._block = block_samples
        self._latency = latency
        self._open_streams = 0
        self._opened = 0
        self._hook = callback_hook
        self._cards_file = cards_file
        self._cards_seen = self._cards()
        self._shut_down = False

    # ---- devices -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-scan devices; PortAudio only enumerates them when it initialises."""
        self._refuse_after_shutdown()
        if self._open_streams:
            raise AudioError("Close the audio stream before looking for new devices.")
        self._cards_seen = self._cards()
        self._sd._terminate()
        try:
            self._sd._initialize()
        except self._sd.PortAudioError as exc:
            raise AudioError(f"The sound system could not list its devices: {exc}") from None

    def shutdown(self) -> None:
        """Quit: refuse every later re-scan and stream. PortAudio itself stays initialised:
        its initialisation is counted per process (``sounddevice`` terminates it at exit), and
        a stream still open is the controller's to close."""
        self._shut_down = True

    def _refuse_after_shutdown(self) -> None:
        if self._shut_down:
            raise AudioError("The sound system has been shut down: VICIfast Desktop is quitting.")

    def devices_changed(self) -> bool:
        """Whether the sound cards changed since the last ``refresh`` (Linux; elsewhere False)."""
        return self._cards() != self._cards_seen

    def _cards(self) -> str | None:
        if self._cards_file is None:
            return None
        try:
            return self._cards_file.read_text(errors="replace")
        except OSError:
            return None

    def _indexed(self) -> list[tuple[int, AudioDevice]]:
        apis = [str(api["name"]) for api in self._sd.query_hostapis()]
        found: list[tuple[int, AudioDevice]] = []
        seen: set[str] = set()
        for info in self._sd.query_devices():
            api = apis[int(info["hostapi"])]
            name = str(info["name"])
            dev_id = f"{api}:{name}"
            while dev_id in seen:  # two identical cards: keep ids distinct and stable in order
                dev_id += "+"
            seen.add(dev_id)
            device = AudioDevice(
                id=dev_id,
                name=name,
                host_api=api,
                input_channels=int(info["max_input_channels"]),
                output_channels=int(info["max_output_channels"]),
            )
            found.append((int(info["index"]), device))
        return found

    def input_devices(self) -> list[AudioDevice]:
        return [d for _, d in self._indexed() if d.is_input]

    def output_devices(self) -> list[AudioDevice]:
        return [d for _, d in self._indexed() if d.is_output]

    def _default_index(self, kind: str) -> int | None:
        try:
            return int(self._sd.query_devices(kind=kind)["index"])
        except self._sd.PortAudioError:
            return None

    def _default(self, kind: str) -> AudioDevice | None:
        index = self._default_index(kind)
        return next((d for i, d in self._indexed() if i == index), None)

    def default_input(self) -> AudioDevice | None:
        return self._default("input")

    def default_output(self) -> AudioDevice | None:
        return self._default("output")

    def _resolve(self, device_id: str | None, kind: str) -> tuple[int, AudioDevice]:
        what = "microphone" if kind == "input" else "speaker"
        devices = self._indexed()
        if device_id is None:
            index = self._default_index(kind)
            match = next(((i, d) for i, d in devices if i == index), None)
            if match is None:
                raise DeviceNotFound(f"No {what} found. Connect one, or pick one in Settings.")
            return match
        for i, d in devices:
            if d.id == device_id and (d.is_input if kind == "input" else d.is_output):
                return i, d
        raise DeviceNotFound(
            f"The {what} “{device_id}” is not connected. Plug it in, or pick another in Settings."
        )

    # ---- streams -------------------------------------------------------------------------------

    def open_duplex(
        self,
        capture: PcmWriter,
        playback: PcmReader,
        *,
        input_id: str | None = None,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> AudioStream:
        self._refuse_after_shutdown()
        mic = self._resolve(input_id, "input")
        speaker = self._resolve(output_id, "output")
        return self._start(capture, playback, mic, speaker, on_error)

    def open_output(
        self,
        ring: PcmReader,
        output_id: str | None = None,
        on_error: ErrorCallback | None = None,
    ) -> AudioStream:
        self._refuse_after_shutdown()
        speaker = self._resolve(output_id, "output")
        return self._start(None, ring, None, speaker, on_error)

    def _start(
        self,
        capture: PcmWriter | None,
        playback: PcmReader,
        mic: tuple[int, AudioDevice] | None,
        speaker: tuple[int, AudioDevice],
        on_error: ErrorCallback | None,
    ) -> AudioStream:
        self._opened += 1
        stream = _Stream(
            self._sd, capture, playback, on_error, on_closed=self._closed_one, hook=self._hook
        )
        stream.serial = self._opened
        self._open_streams += 1
        try:
            stream.open(mic, speaker, self._block, self._latency)
        except Exception:
            stream.close()
            raise
        return stream

    def _closed_one(self) -> None:
        self._open_streams -= 1


class _Stream:
    """One microphone stream into ``capture`` (unless there is none) and one speaker stream out
    of ``playback``."""

    def __init__(
        self,
        sd: Any,
        capture: PcmWriter | None,
        playback: PcmReader,
        on_error: ErrorCallback | None,
        *,
        on_closed: Callable[[], None],
        hook: CallbackHook | None = None,
    ) -> None:
        self._sd = sd
        self._hook = hook
        self.serial = 0
        self._capture = capture
        self._playback = playback
        self._on_error = on_error
        self._on_closed = on_closed
        self._lock = threading.Lock()
        self._closed = False
        self._streams: list[Any] = []
        self.input_device: AudioDevice | None = None
        self.output_device: AudioDevice | None = None
        self._latency_ms = (0.0, 0.0)
        # one writer each (its own callback thread), so no lock is needed
        self._overflows = self._underflows = self._in_blocks = self._out_blocks = 0
        self._in_queue_s = self._out_queue_s = 0.0

    def open(
        self,
        mic: tuple[int, AudioDevice] | None,
        speaker: tuple[int, AudioDevice],
        block: int,
        latency: float | str,
    ) -> None:
        """Open and start the streams; the caller's thread."""
        sd = self._sd
        common: dict[str, Any] = {
            "samplerate": SAMPLE_RATE,
            "channels": 1,
            "dtype": "int16",
            "blocksize": block,
            "latency": latency,
        }
        try:
            mic_stream = None
            if mic is not None:
                mic_stream = sd.RawInputStream(
                    device=mic[0],
                    callback=self._on_input,
                    finished_callback=lambda: self._on_finished("microphone"),
                    extra_settings=self._extra(mic[1]),
                    **common,
                )
                self._streams.append(mic_stream)
            speaker_stream = sd.RawOutputStream(
                device=speaker[0],
                callback=self._on_output,
                finished_callback=lambda: self._on_finished("speaker"),
                extra_settings=self._extra(speaker[1]),
                **common,
            )
            self._streams.append(speaker_stream)
            self.input_device = mic[1] if mic is not None else None
            self.output_device = speaker[1]
            if self._capture is not None:
                self._capture.start()
            self._playback.start()
            for stream in self._streams:
                stream.start()
            mic_latency = mic_stream.latency * 1000 if mic_stream is not None else 0.0
            self._latency_ms = (mic_latency, speaker_stream.latency * 1000)
        except sd.PortAudioError as exc:
            raise AudioError(f"The sound device could not be opened: {exc}") from None

    def _extra(self, device: AudioDevice) -> Any:
        # WASAPI shared mode only takes the mixer's rate unless PortAudio converts (untested here)
        if "WASAPI" in device.host_api:
            return self._sd.WasapiSettings(auto_convert=True)
        return None

    # ---- PortAudio's callback threads ----------------------------------------------------------

    def _on_input(self, data: Any, frames: int, time: Any, status: Any) -> None:
        """PortAudio's microphone thread: hand the block to the capture ring."""
        if self._hook is not None:
            self._hook("input", self.serial)
        self._in_blocks += 1
        self._in_queue_s = _queue_s(time.currentTime, time.inputBufferAdcTime)
        if status and status.input_overflow:
            self._overflows += 1
        if self._capture is not None:
            self._capture.write(data)

    def _on_output(self, data: Any, frames: int, time: Any, status: Any) -> None:
        """PortAudio's speaker thread: fill the block from the playback ring."""
        if self._hook is not None:
            self._hook("output", self.serial)
        self._out_blocks += 1
        self._out_queue_s = _queue_s(time.outputBufferDacTime, time.currentTime)
        if status and status.output_underflow:
            self._underflows += 1
        self._playback.read_into(data)

    def _on_finished(self, what: str) -> None:
        """PortAudio's thread, when a stream ends: unexpected unless we are closing."""
        with self._lock:
            closing = self._closed
        if not closing and self._on_error is not None:
            self._on_error(f"The {what} stopped working (unplugged, or the sound server quit).")

    # ---- any thread ----------------------------------------------------------------------------

    def stats(self) -> StreamStats:
        return StreamStats(
            input_latency_ms=float(self._latency_ms[0]),
            output_latency_ms=float(self._latency_ms[1]),
            input_overflows=self._overflows,
            output_underflows=self._underflows,
            input_blocks=self._in_blocks,
            output_blocks=self._out_blocks,
            input_queue_ms=self._in_queue_s * 1000,
            output_queue_ms=self._out_queue_s * 1000,
        )

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for stream in self._streams:
            try:
                stream.abort()
                stream.close()
            except self._sd.PortAudioError:
                pass  # a device already gone cannot be stopped twice
        self._streams.clear()
        if self._capture is not None:
            self._capture.stop()
        self._playback.stop()
        self._on_closed()


def _queue_s(later: float, earlier: float) -> float:
    """``later - earlier`` in seconds, or 0.0 (unknown) when PortAudio gave no usable times."""
    if not later or not earlier:
        return 0.0
    queued = float(later - earlier)
    return queued if 0.0 <= queued <= _MAX_QUEUE_S else 0.0
