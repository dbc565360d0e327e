"""CameraScanner on a real cv2.VideoCapture reading a video file written here with cv2.VideoWriter.

A video file goes through the same OpenCV capture path as a device index; the fakes below only
record what the scanner does with a capture (release exactly once, errors for cameras that will
not open or stop sending pictures).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from softphone.provisioning import camera, qr_make
from softphone.provisioning.camera import CameraScanner, ScanOutcome, StopReason

SIGNIN = "vicifast://signin?v=1&c=acme&u=jdoe"
SIZE = (640, 480)


def code_frame(text: str, *, scale: int = 5, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    png = np.frombuffer(qr_make.render(text, "png", scale=scale, border=4), np.uint8)
    code = cv2.cvtColor(cv2.imdecode(png, cv2.IMREAD_GRAYSCALE), cv2.COLOR_GRAY2BGR)
    frame = np.full((SIZE[1], SIZE[0], 3), 170, np.uint8)
    h, w = code.shape[:2]
    top, left = (SIZE[1] - h) // 2, (SIZE[0] - w) // 2
    frame[top : top + h, left : left + w] = code
    if noise:
        rng = np.random.default_rng(seed)
        frame = np.clip(frame + rng.normal(0, noise, frame.shape), 0, 255).astype(np.uint8)
    return frame


def write_video(path: Path, frames: list[np.ndarray]) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, SIZE)
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def blank(n: int) -> list[np.ndarray]:
    return [np.full((SIZE[1], SIZE[0], 3), 60 + 10 * (i % 5), np.uint8) for i in range(n)]


class RecordingCapture:
    """Wraps a real capture and counts release() calls."""

    def __init__(self, source: camera.Source) -> None:
        self.inner = cv2.VideoCapture(source)
        self.releases = 0
        self.reads = 0

    def isOpened(self) -> bool:
        return bool(self.inner.isOpened())

    def read(self) -> tuple[bool, Any]:
        self.reads += 1
        ok, frame = self.inner.read()
        return bool(ok), frame

    def release(self) -> None:
        self.releases += 1
        self.inner.release()


def recording_factory() -> tuple[list[RecordingCapture], camera.CaptureFactory]:
    made: list[RecordingCapture] = []

    def factory(source: camera.Source) -> RecordingCapture:
        made.append(RecordingCapture(source))
        return made[-1]

    return made, factory


def test_finds_the_code_after_blank_frames_and_releases_the_capture(tmp_path: Path) -> None:
    video = write_video(tmp_path / "code.avi", blank(12) + [code_frame(SIGNIN)] * 8 + blank(30))
    made, factory = recording_factory()
    previews: list[tuple[int, ...]] = []
    done: list[ScanOutcome] = []
    scanner = CameraScanner(
        str(video),
        capture_factory=factory,
        on_frame=lambda frame: previews.append(frame.shape),
        on_done=done.append,
        preview_fps=None,
    )
    scanner.start()
    outcome = scanner.wait(20)
    assert outcome is not None and outcome.reason is StopReason.FOUND
    assert outcome.result is not None and outcome.result.text == SIGNIN
    assert 13 <= outcome.frames <= 20  # found on the code's first frames, not after the video
    assert made[0].releases == 1 and not made[0].inner.isOpened()
    assert made[0].reads == outcome.frames  # no frame read after the hit
    assert previews and previews[0] == (SIZE[1], SIZE[0], 3)
    assert done == [outcome]
    assert scanner.held_frames == 0  # the frames for the multi-frame pass are dropped
    scanner.close()
    scanner.close()
    assert made[0].releases == 1


def test_a_video_without_a_code_ends_cleanly(tmp_path: Path) -> None:
    video = write_video(tmp_path / "blank.avi", blank(20))
    made, factory = recording_factory()
    scanner = CameraScanner(str(video), capture_factory=factory)
    scanner.start()
    outcome = scanner.wait(20)
    assert outcome is not None and outcome.reason is StopReason.ENDED and outcome.frames == 20
    assert outcome.result is None and outcome.error is None
    assert made[0].releases == 1


class EndlessBlank:
    """A camera that never shows a code (frames as fast as asked); records release()."""

    def __init__(self, source: camera.Source) -> None:
        self.releases = 0
        self.frame = np.full((120, 160, 3), 90, np.uint8)

    def isOpened(self) -> bool:
        return True

    def read(self) -> tuple[bool, Any]:
        return True, self.frame

    def release(self) -> None:
        self.releases += 1


def test_no_code_times_out_and_close_releases_exactly_once() -> None:
    cams: list[EndlessBlank] = []

    def factory(source: camera.Source) -> EndlessBlank:
        cams.append(EndlessBlank(source))
        return cams[-1]

    scanner = CameraScanner(0, capture_factory=factory, timeout=0.3)
    scanner.start()
    outcome = scanner.wait(10)
    assert outcome is not None and outcome.reason is StopReason.TIMED_OUT
    assert cams[0].releases == 1

    scanner = CameraScanner(0, capture_factory=factory)
    scanner.start()
    scanner.close()
    scanner.close()
    outcome = scanner.wait(5)
    assert outcome is not None and outcome.reason is StopReason.CLOSED
    assert cams[1].releases == 1
    scanner.close()
    assert cams[1].releases == 1


def test_closing_from_another_thread_while_scanning_releases_once() -> None:
    cams: list[EndlessBlank] = []
    started = threading.Event()

    def factory(source: camera.Source) -> EndlessBlank:
        cams.append(EndlessBlank(source))
        started.set()
        return cams[-1]

    scanner = CameraScanner(0, capture_factory=factory)
    scanner.start()
    assert started.wait(5)
    closers = [threading.Thread(target=scanner.close) for _ in range(4)]
    for t in closers:
        t.start()
    for t in closers:
        t.join(5)
    assert scanner.wait(5) is not None
    assert cams[0].releases == 1


def test_an_inverted_code_is_read_by_the_harder_passes(tmp_path: Path) -> None:
    inverted = cv2.bitwise_not(code_frame(SIGNIN))
    assert camera.qr_decode.scan_image(inverted, try_harder=False) is None
    video = write_video(tmp_path / "inverted.avi", [inverted] * 10)
    scanner = CameraScanner(str(video), harder_every=4)
    scanner.start()
    outcome = scanner.wait(30)
    assert outcome is not None and outcome.reason is StopReason.FOUND
    assert outcome.result is not None and outcome.result.text == SIGNIN
    assert outcome.frames == 4  # the fast path on frames 1-3, the harder passes on frame 4
    assert outcome.result.pass_name == "inverted"


def test_frames_too_noisy_alone_are_read_from_several_consecutive_frames(tmp_path: Path) -> None:
    frames = [code_frame(SIGNIN, scale=2, noise=170, seed=i) for i in range(30)]
    video = write_video(tmp_path / "noisy.avi", frames)
    capture = cv2.VideoCapture(str(video))
    decoded = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        decoded.append(camera.qr_decode.scan_image(frame, try_harder=True))
    capture.release()
    assert len(decoded) == 30 and all(d is None for d in decoded[:6])  # no single frame reads
    scanner = CameraScanner(str(video), harder_every=3, stack_frames=3)
    scanner.start()
    outcome = scanner.wait(30)
    assert outcome is not None and outcome.reason is StopReason.FOUND, outcome
    assert outcome.result is not None and outcome.result.text == SIGNIN
    assert outcome.result.pass_name.startswith("3-frame-"), outcome.result
    assert outcome.frames <= 6


class NeverOpens:
    def __init__(self, source: camera.Source) -> None:
        self.releases = 0

    def isOpened(self) -> bool:
        return False

    def read(self) -> tuple[bool, Any]:
        raise AssertionError("read on a capture that did not open")

    def release(self) -> None:
        self.releases += 1


class OpensButSendsNothing(NeverOpens):
    def isOpened(self) -> bool:
        return True

    def read(self) -> tuple[bool, Any]:
        return False, None


@pytest.mark.parametrize(
    ("factory", "error"),
    [(NeverOpens, camera.CameraError), (OpensButSendsNothing, camera.CameraBusy)],
)
def test_cameras_that_cannot_be_used_fail_with_a_clear_error(
    factory: type[NeverOpens], error: type[Exception]
) -> None:
    made: list[NeverOpens] = []

    def make(source: camera.Source) -> NeverOpens:
        made.append(factory(source))
        return made[-1]

    scanner = CameraScanner(7, capture_factory=make)
    scanner.start()
    outcome = scanner.wait(10)
    assert outcome is not None and outcome.reason is StopReason.FAILED
    assert isinstance(outcome.error, error)
    assert "7" in str(outcome.error) and "Traceback" not in str(outcome.error)
    assert made[0].releases == 1


def test_a_missing_video_file_is_a_no_camera_error(tmp_path: Path) -> None:
    scanner = CameraScanner(str(tmp_path / "nope.avi"))
    scanner.start()
    outcome = scanner.wait(10)
    assert outcome is not None and isinstance(outcome.error, camera.NoCamera)


def test_list_cameras_probes_with_the_factory_and_releases_each() -> None:
    made: list[NeverOpens] = []

    def make(source: camera.Source) -> NeverOpens:
        made.append(OpensButSendsNothing(source) if source in (0, 2) else NeverOpens(source))
        return made[-1]

    found = camera.list_cameras(make, max_index=4)
    assert [c.source for c in found] == [0, 2]
    assert [m.releases for m in made] == [1, 1, 1, 1]


def test_linux_listing_reads_sysfs_without_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index, (kind, name) in enumerate([("0", "Integrated Camera"), ("1", "Integrated Camera")]):
        node = tmp_path / f"video{index}"
        node.mkdir()
        (node / "index").write_text(kind + "\n")
        (node / "name").write_text(name + "\n")
    monkeypatch.setattr(camera, "_V4L_SYSFS", tmp_path)
    monkeypatch.setattr(camera.sys, "platform", "linux")
    assert camera.list_cameras() == [camera.CameraInfo(0, "Integrated Camera")]
