"""Which parts of the voice processing run: the choice the settings keep, apart from the
processing itself (:mod:`softphone.audio.processing`), so that reading the settings at start-up
does not import the audio stack."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProcessingChoice:
    """Which parts run. ``headset`` is the user's "headset mode": no echo cancellation (a
    headset has no acoustic echo), the rawest path the other switches allow."""

    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain: bool = False
    headset: bool = False

    @property
    def cancels_echo(self) -> bool:
        return self.echo_cancellation and not self.headset

    @property
    def any(self) -> bool:
        return self.cancels_echo or self.noise_suppression or self.auto_gain
