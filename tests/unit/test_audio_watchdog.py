"""BacklogWatch: a queue outside the rings must stay above the threshold to count."""

from __future__ import annotations

from softphone.audio.backend import AudioDevice, StreamStats
from softphone.audio.watchdog import BacklogWatch

_MIC = AudioDevice("mic", "Mic", "Fake", 1, 0)
_SPEAKER = AudioDevice("speaker", "Speaker", "Fake", 0, 2)


class QueueStream:
    input_device: AudioDevice | None = _MIC
    output_device: AudioDevice | None = _SPEAKER

    def __init__(self) -> None:
        self.queues = (0.0, 0.0)

    def stats(self) -> StreamStats:
        return StreamStats(0.0, 0.0, 0, 0, 1, 1, *self.queues)

    def close(self) -> None:
        pass


def test_a_backlog_counts_only_when_it_stays_above_the_threshold_past_the_grace() -> None:
    stream = QueueStream()
    watch = BacklogWatch(stream, 0.0, threshold_ms=250.0, sustain_s=1.0, start_grace_s=3.0)
    stream.queues = (20.0, 900.0)
    assert watch.check(0.5) is None  # above since 0.5
    assert watch.check(2.0) is None  # in the start-up grace
    assert watch.check(3.0) == ("output", 900.0)
    stream.queues = (20.0, 100.0)  # a dip below resets the clock
    assert watch.check(3.1) is None
    stream.queues = (300.0, 20.0)
    assert watch.check(3.2) is None
    assert watch.check(4.1) is None
    assert watch.check(4.2) == ("input", 300.0)


def test_unknown_queues_are_never_judged() -> None:
    stream = QueueStream()  # 0.0: the backend cannot tell (Qt)
    watch = BacklogWatch(stream, 0.0, start_grace_s=0.0)
    assert all(watch.check(t / 10) is None for t in range(100))
