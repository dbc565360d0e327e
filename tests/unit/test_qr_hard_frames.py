"""Damage the first scan pipeline never read (a code photographed off a monitor), inverted codes
found early, and no pass ever turning a misread into a payload."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from softphone.provisioning import qr_decode, qr_make

SIGNIN = "vicifast://signin?v=1&c=acme-support&u=jdoe.smith"
Frame = npt.NDArray[Any]


def screen_photo(
    text: str, seed: int, *, inverted: bool = False, pitch: float | None = None
) -> Frame:
    """``text`` shown on a monitor (RGB subpixel columns, a dark mask between pixel rows) and
    photographed at about 3.4 camera pixels a module, so the subpixel grid aliases into moiré.
    With ``pitch``, at that many camera pixels a module, with a rolling shutter's banding."""
    rng = np.random.default_rng(seed)
    matrix = np.pad(np.array(qr_make.modules(text), np.float32), 4)
    if inverted:
        matrix = 1 - matrix
    pixels = np.kron(20 + (1 - matrix) * 210, np.ones((4, 4), np.float32))
    sub = np.zeros((pixels.shape[0] * 3, pixels.shape[1] * 3, 3), np.float32)
    for column, channel in enumerate((2, 1, 0)):  # R, G, B left to right
        sub[:, column::3, channel] = np.repeat(pixels, 3, axis=0) * 1.6
    sub[2::3] *= 0.3
    side = sub.shape[0]
    size = (pitch if pitch else rng.uniform(0.75, 0.95) * 3.4) * matrix.shape[0]
    angle = rng.uniform(0, 2 * np.pi)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * size / 2 @ turn.T
    corners += rng.uniform(-0.08, 0.08, (4, 2)) * size + (640, 360)
    source = np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32)
    warp = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    frame = cv2.warpPerspective(
        sub, warp, (1280, 720), flags=cv2.INTER_LINEAR, borderValue=(60, 70, 80)
    )
    if pitch:
        rows = np.arange(720, dtype=np.float32)[:, None, None]
        frame *= 1 - 0.12 * (0.5 + 0.5 * np.sin(rows * 0.15))
    return np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_code_photographed_off_a_monitor_is_read(seed: int) -> None:
    found = qr_decode.scan_image(screen_photo(SIGNIN, seed), "zxing")
    assert found is not None
    assert found.text == SIGNIN
    assert found.pass_name != "as-is"  # the moiré defeats the fast path


def test_a_banded_screen_photo_at_2_6_pixels_a_module_is_read() -> None:
    # At about 2.5 pixels a module the moiré's period is near the module's: none of the passes
    # before the locally normalised ones read this frame.
    found = qr_decode.scan_image(screen_photo(SIGNIN, 7, pitch=2.6), "zxing")
    assert found is not None
    assert (found.text, found.pass_name) == (SIGNIN, "doubled-normalised")


class CountingDecoder:
    """zxing, counting the images it is given."""

    name = "zxing"

    def __init__(self) -> None:
        self.inner = qr_decode.ZxingDecoder()
        self.calls = 0

    def decode(self, gray: Frame, *, binarizer: str = "local") -> list[str]:
        self.calls += 1
        return self.inner.decode(gray, binarizer=binarizer)


def test_a_light_on_dark_code_is_the_first_thing_tried_after_the_fast_path() -> None:
    light = np.pad(np.array(qr_make.modules(SIGNIN), np.uint8), 4) * 215  # dark modules lit
    code = cv2.resize(light + 30, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)
    frame = np.full((720, 1280), 30, np.uint8)
    frame[100 : 100 + code.shape[0], 200 : 200 + code.shape[1]] = code
    decoder = CountingDecoder()
    found = qr_decode.scan_gray(frame, decoder)  # type: ignore[arg-type]
    assert found is not None and found.text == SIGNIN
    assert (found.pass_name, decoder.calls) == ("inverted", 2)


class MisreadingDecoder:
    """A decoder whose every answer is a misread: a vicifast lookalike whose payload is broken
    (what a wrong error correction would give), plus a foreign code."""

    name = "misreading"

    def __init__(self) -> None:
        self.images = 0

    def decode(self, gray: Frame) -> list[str]:
        self.images += 1
        return ["vicifast://sip?v=1&kdf=scrypt&s=AAAA&d=!!notbase64", "https://example.com/"]


def test_no_pass_turns_a_misread_into_a_payload() -> None:
    decoder = MisreadingDecoder()
    frame = screen_photo(SIGNIN, 0)
    assert qr_decode.scan_image(frame, decoder) is None
    # Every harder pass ran (the global-binarizer and enlarged ones are zxing's only), none
    # returned the misread.
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert decoder.images == 1 + sum(
        1 for name, _, _ in qr_decode._harder_passes(gray, frame, enlarged=False)
        if name != qr_decode.GLOBAL_PASS
    )  # fmt: skip


class MisreadingZxing(qr_decode.ZxingDecoder):
    """zxing's passes, each answered with a misread and a foreign code."""

    def __init__(self) -> None:
        super().__init__()
        self.passes: list[str] = []

    def decode(self, gray: Frame, *, binarizer: str = "local", downscale: bool = True) -> list[str]:
        self.passes.append(binarizer)
        return MisreadingDecoder().decode(gray)


def test_no_zxing_only_pass_turns_a_misread_into_a_payload() -> None:
    decoder = MisreadingZxing()
    frame = screen_photo(SIGNIN, 0)
    assert qr_decode.scan_image(frame, decoder) is None
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    names = [name for name, _, _ in qr_decode._harder_passes(gray, frame)]
    assert "doubled-normalised-soft" in names
    assert len(decoder.passes) == 1 + len(names)


class RecordingDecoder(qr_decode.ZxingDecoder):
    """zxing, finding nothing, recording each image's height and whether it may shrink it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, bool]] = []

    def decode(self, gray: Frame, *, binarizer: str = "local", downscale: bool = True) -> list[str]:
        self.seen.append((gray.shape[0], downscale))
        return []


def test_2x_and_3x_copies_of_a_small_frame_are_not_shrunk_back() -> None:
    frame = np.random.default_rng(0).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    decoder = RecordingDecoder()
    assert qr_decode.scan_image(frame, decoder) is None
    heights = {height for height, _ in decoder.seen}
    assert {360, 720, 1080, 1440, 2160} <= heights  # half, as-is, 1.5×, 2×, 3×
    assert all(downscale == (height < 1440) for height, downscale in decoder.seen)
    big = np.zeros((1080, 1920), np.uint8)  # 1080p: no 2× or 3× copies, they would cost too much
    decoder.seen.clear()
    assert qr_decode.scan_gray(big, decoder) is None
    assert max(height for height, _ in decoder.seen) == 1080
