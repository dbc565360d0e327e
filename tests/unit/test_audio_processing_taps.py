"""The voice processing's place between the rings and a backend (softphone.audio.processing):
10 ms frames whatever the backend's blocks, the speaker's audio as the reference, a live switch,
and audio that passes untouched when the processor cannot load or fails."""

from __future__ import annotations

import array
from typing import ClassVar

import pytest

from softphone.audio.processing import (
    FRAME_BYTES,
    AudioProcessing,
    ProcessingChoice,
    WebRtcProcessor,
)
from softphone.audio.ring import PcmRing


class Halver:
    """A processor that halves the microphone and keeps what it was given."""

    made: ClassVar[list[ProcessingChoice]] = []

    def __init__(self, choice: ProcessingChoice) -> None:
        Halver.made.append(choice)
        self.rendered: list[bytes] = []
        self.delay = -1

    def render(self, frame: bytes | bytearray | memoryview) -> None:
        assert len(frame) == FRAME_BYTES
        self.rendered.append(bytes(frame))

    def capture(self, frame: bytearray) -> None:
        assert len(frame) == FRAME_BYTES
        samples = array.array("h", frame)
        frame[:] = array.array("h", (s // 2 for s in samples)).tobytes()

    def set_delay_ms(self, delay_ms: int) -> None:
        self.delay = delay_ms


def _pcm(values: list[int]) -> bytes:
    return array.array("h", values).tobytes()


def _drain(ring: PcmRing, nbytes: int) -> list[int]:
    out = bytearray(nbytes)
    ring.read_into(out)
    return list(array.array("h", out))


def _ring() -> PcmRing:
    ring = PcmRing(target_ms=5, settle_s=0.0)
    return ring


def test_odd_microphone_blocks_are_processed_in_whole_frames_and_nothing_is_lost() -> None:
    Halver.made.clear()
    processing = AudioProcessing(factory=Halver)
    capture, _ = processing.wrap(_ring(), _ring())
    capture.start()
    samples = list(range(2, 2 * 500, 2))  # 499 samples in blocks of 7, 123 and the rest
    data = _pcm(samples)
    for piece in (data[:14], data[14:260], data[260:]):
        capture.write(piece)
    whole = 499 - 499 % 160
    assert _drain(capture.ring, whole * 2) == [s // 2 for s in samples[:whole]]
    capture.write(_pcm([1000] * (160 - 499 % 160)))  # completes the held-back frame
    assert _drain(capture.ring, 320) == [s // 2 for s in samples[whole:]] + [500] * (
        160 - 499 % 160
    )


def test_what_the_speaker_plays_is_the_reference_frame_by_frame() -> None:
    made: list[Halver] = []

    def factory(choice: ProcessingChoice) -> Halver:
        made.append(Halver(choice))
        return made[-1]

    processing = AudioProcessing(factory=factory)
    capture, playback = processing.wrap(_ring(), _ring())
    playback.start()
    played = _pcm(list(range(400)))
    playback.ring.write(played)
    capture.start()
    capture.write(bytes(FRAME_BYTES))  # the processor is made on the first frame
    heard = bytearray()
    for size in (100, 320, 220):  # blocks that do not line up with frames
        out = bytearray(size)
        playback.read_into(out)
        heard += out
    assert any(heard)  # the ring played what was written, not only silence
    assert b"".join(made[0].rendered) == bytes(heard[: 2 * FRAME_BYTES])


def test_a_new_choice_takes_over_at_the_next_frame_and_all_off_passes_audio_untouched() -> None:
    Halver.made.clear()
    processing = AudioProcessing(factory=Halver)
    capture, _ = processing.wrap(_ring(), _ring())
    capture.start()
    frame = _pcm([800] * 160)
    capture.write(frame)
    assert _drain(capture.ring, FRAME_BYTES) == [400] * 160
    processing.configure(ProcessingChoice(headset=True))
    capture.write(frame)
    assert _drain(capture.ring, FRAME_BYTES) == [400] * 160
    assert Halver.made == [ProcessingChoice(), ProcessingChoice(headset=True)]
    processing.configure(
        ProcessingChoice(echo_cancellation=False, noise_suppression=False, auto_gain=False)
    )
    capture.write(frame)
    assert _drain(capture.ring, FRAME_BYTES) == [800] * 160  # the rawest path
    assert len(Halver.made) == 2


def test_a_processor_that_cannot_load_leaves_the_audio_untouched_and_says_why() -> None:
    def missing(choice: ProcessingChoice) -> Halver:
        raise ImportError("no module named livekit")

    processing = AudioProcessing(factory=missing)
    capture, _ = processing.wrap(_ring(), _ring())
    capture.start()
    capture.write(_pcm([800] * 160))
    assert _drain(capture.ring, FRAME_BYTES) == [800] * 160
    assert not processing.available
    assert processing.unavailable_reason is not None
    assert "livekit" in processing.unavailable_reason


def test_a_frame_the_processor_fails_on_goes_out_as_it_came_in() -> None:
    class Broken(Halver):
        def capture(self, frame: bytearray) -> None:
            frame[:10] = bytes(10)
            raise RuntimeError("native failure")

    processing = AudioProcessing(factory=Broken)
    capture, _ = processing.wrap(_ring(), _ring())
    capture.start()
    capture.write(_pcm([800] * 160))
    assert _drain(capture.ring, FRAME_BYTES) == [800] * 160
    assert processing.stats().errors == 1


def test_the_delay_hint_reaches_the_processor_and_is_bounded() -> None:
    made: list[Halver] = []

    def factory(choice: ProcessingChoice) -> Halver:
        made.append(Halver(choice))
        return made[-1]

    processing = AudioProcessing(factory=factory)
    processing.set_delay_ms(42.4)
    capture, _ = processing.wrap(_ring(), _ring())
    capture.start()
    capture.write(bytes(FRAME_BYTES))
    assert made[0].delay == 42
    processing.set_delay_ms(57)
    assert made[0].delay == 57


@pytest.mark.parametrize("echo", [True, False])
def test_webrtcs_module_processes_frames_in_place(echo: bool) -> None:
    processor = WebRtcProcessor(ProcessingChoice(echo_cancellation=echo))
    processor.set_delay_ms(10_000)  # bounded, not refused
    loud = _pcm([8000, -8000] * 80)
    for _ in range(50):
        processor.render(loud)
        frame = bytearray(loud)
        processor.capture(frame)
        assert len(frame) == FRAME_BYTES
    assert frame != bytearray(loud)  # the module changed it (the high-pass filter at least)


def test_a_frame_of_another_size_is_refused_before_it_reaches_the_native_module() -> None:
    """The module's native calls hold the frame buffers' addresses: a wrong-sized frame must
    neither reach it nor move the buffers."""
    processor = WebRtcProcessor(ProcessingChoice())
    with pytest.raises(ValueError):
        processor.capture(bytearray(FRAME_BYTES // 2))
    frame = bytearray(_pcm([1000, -1000] * 80))
    processor.capture(frame)  # the buffers are where they were: the next frame goes through
    assert len(frame) == FRAME_BYTES
