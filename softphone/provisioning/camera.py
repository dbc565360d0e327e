"""Scanning QR codes from a camera: OpenCV capture on a worker thread, released the moment a code
is read or the scan is closed.

Privacy (DESIGN.md): the camera is open only while a :class:`CameraScanner` runs; frames live in
memory only while they are decoded or handed to the preview callback, and are never written
anywhere. At most ``stack_frames`` recent frames are held (for the multi-frame pass) and they are
dropped when the scan stops.

Frames are tried on the fast path (the decoder on the frame as it is, ~1 ms) every time; every
``harder_every``-th frame without a hit also goes through :func:`qr_decode.scan_gray`'s harder
passes, on the frame and on the mean of the last few frames (noise averages out while the code is
held still). Easy frames are never slowed by the hard ones.

Errors (all :class:`softphone.provisioning.qr_errors.QrError`):

CameraError                 base: the camera could not be used
├── NoCamera                  there is no such camera
├── CameraBusy                it exists but would not open or send pictures
├── CameraPermissionDenied    the system refuses this user access to it
└── CameraFailed              it stopped sending pictures mid-scan (unplugged?)
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import cv2
import numpy as np

from softphone.core.errors import VicifastError
from softphone.provisioning import qr_decode
from softphone.provisioning.qr_decode import Accept, Image, QrDecoder, ScanResult
from softphone.provisioning.qr_errors import QrError

Source = int | str
MAX_PROBED: Final = 6
_FAILED_READS_BEFORE_GIVING_UP: Final = 20
_V4L_SYSFS: Final = Path("/sys/class/video4linux")


class CameraError(QrError):
    code = "camera"


class NoCamera(CameraError):
    code = "no_camera"


class CameraBusy(CameraError):
    code = "camera_busy"


class CameraPermissionDenied(CameraError):
    code = "camera_permission"


class CameraFailed(CameraError):
    code = "camera_failed"


class VideoCapture(Protocol):
    """The part of ``cv2.VideoCapture`` the scanner uses (tests pass fakes with these)."""

    def isOpened(self) -> bool: ...

    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


CaptureFactory = Callable[[Source], VideoCapture]


def open_capture(source: Source) -> VideoCapture:
    """The real OpenCV capture: a device index or a video file path/URL."""
    capture: VideoCapture = cv2.VideoCapture(source)
    return capture


@dataclass(frozen=True, slots=True)
class CameraInfo:
    source: Source
    name: str


def list_cameras(
    capture_factory: CaptureFactory = open_capture, *, max_index: int = MAX_PROBED
) -> list[CameraInfo]:
    """The cameras that can be chosen. On Linux read from sysfs without opening any device;
    elsewhere probe indices 0..max_index-1 (each opened and released at once)."""
    if sys.platform.startswith("linux") and capture_factory is open_capture:
        return _linux_cameras(max_index)
    found = []
    for index in range(max_index):
        capture = capture_factory(index)
        try:
            if capture.isOpened():
                found.append(CameraInfo(index, f"Camera {index + 1}"))
        finally:
            capture.release()
    return found


def _linux_cameras(max_index: int) -> list[CameraInfo]:
    found = []
    for index in range(max(max_index, 64)):
        node = _V4L_SYSFS / f"video{index}"
        if not node.is_dir():
            continue
        # A webcam has a capture node (index 0) and often a metadata node (index 1) to skip.
        with contextlib.suppress(OSError, ValueError):
            if int((node / "index").read_text().strip() or "0") != 0:
                continue
        try:
            name = (node / "name").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            name = ""
        found.append(CameraInfo(index, name or f"Camera {index}"))
    return found


def explain_open_failure(source: Source) -> CameraError:
    """The clearest error we can give for a capture that did not open."""
    if isinstance(source, str):
        return NoCamera(f"Cannot open the video '{source}': the file or stream is not readable.")
    if sys.platform.startswith("linux"):
        device = f"/dev/video{source}"
        if not Path(device).exists():
            return NoCamera(
                f"There is no camera {source} on this computer. Plug one in, or choose another "
                "camera, or scan from an image file, the screen or the clipboard."
            )
        if not os.access(device, os.R_OK | os.W_OK):
            return CameraPermissionDenied(
                f"This user may not use the camera ({device}). Add yourself to the 'video' "
                "group (then sign out and in again), or ask your administrator."
            )
    elif sys.platform == "darwin":
        return CameraPermissionDenied(
            f"Camera {source} could not be opened. Allow VICIfast to use the camera in System "
            "Settings → Privacy & Security → Camera, close other apps using it, and try again."
        )
    elif sys.platform == "win32":
        return CameraBusy(
            f"Camera {source} could not be opened. Close other apps that use it (video calls), "
            "check Settings → Privacy & security → Camera allows desktop apps, and try again."
        )
    return CameraBusy(
        f"Camera {source} could not be opened: another application may be using it. Close it "
        "and try again."
    )


class StopReason(enum.Enum):
    FOUND = "found"  # a code was read
    CLOSED = "closed"  # close() was called
    TIMED_OUT = "timed_out"  # no code within the timeout
    ENDED = "ended"  # a video file or stream ran out of frames
    FAILED = "failed"  # the camera could not be used; see ``error``


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    reason: StopReason
    result: ScanResult | None = None
    error: VicifastError | None = None
    frames: int = 0


class CameraScanner:
    """Reads frames from one capture on its own thread and scans them until it stops.

    ``on_frame`` (each frame for the preview, at most ``preview_fps`` a second; the array must
    not be kept) and ``on_done`` (exactly once, after the capture is released) are called on the
    scanner's worker thread.
    """

    def __init__(
        self,
        source: Source,
        *,
        on_frame: Callable[[Image], None] | None = None,
        on_done: Callable[[ScanOutcome], None] | None = None,
        capture_factory: CaptureFactory = open_capture,
        decoder: str | QrDecoder = "zxing",
        accept: Accept = qr_decode.is_vicifast_code,
        timeout: float | None = None,
        preview_fps: float | None = 15.0,
        harder_every: int = 5,
        stack_frames: int = 3,
    ) -> None:
        self.source = source
        self._on_frame = on_frame
        self._on_done = on_done
        self._factory = capture_factory
        self._decoder = decoder
        self._accept = accept
        self._timeout = timeout
        self._preview_gap = 0.0 if not preview_fps else 1.0 / preview_fps
        self._harder_every = max(1, harder_every)
        self._recent: deque[Image] = deque(maxlen=max(1, stack_frames))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._capture: VideoCapture | None = None
        self._released = False
        self._outcome: ScanOutcome | None = None
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-scan", daemon=True)

    @property
    def outcome(self) -> ScanOutcome | None:
        return self._outcome

    @property
    def held_frames(self) -> int:
        """How many frames the scanner holds right now (0 once it stopped)."""
        return len(self._recent)

    def start(self) -> None:
        self._thread.start()

    def close(self, wait: float = 2.0) -> None:
        """Stop scanning and release the camera; safe to call any number of times."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)
        if not self._thread.is_alive():
            self._release()

    def wait(self, timeout: float | None = None) -> ScanOutcome | None:
        self._finished.wait(timeout)
        return self._outcome

    # ---- worker thread -------------------------------------------------------------------------

    def _release(self) -> None:
        with self._lock:
            capture, self._capture = self._capture, None
            if capture is None or self._released:
                return
            self._released = True
        capture.release()

    def _run(self) -> None:
        outcome = ScanOutcome(StopReason.CLOSED)
        try:
            outcome = self._scan()
        except VicifastError as err:
            outcome = ScanOutcome(StopReason.FAILED, error=err)
        except (cv2.error, OSError):
            outcome = ScanOutcome(
                StopReason.FAILED,
                error=CameraFailed("The camera stopped working. Check its cable and try again."),
            )
        finally:
            self._release()
            self._recent.clear()
            self._outcome = outcome
            self._finished.set()
        if self._on_done is not None:
            self._on_done(outcome)

    def _scan(self) -> ScanOutcome:
        capture = self._factory(self.source)
        with self._lock:
            self._capture = capture
        if self._stop.is_set():
            return ScanOutcome(StopReason.CLOSED)
        if not capture.isOpened():
            raise explain_open_failure(self.source)
        decoder = (
            qr_decode.make_decoder(self._decoder)
            if isinstance(self._decoder, str)
            else self._decoder
        )
        started = time.monotonic()
        last_preview = -1e9
        frames = failed_reads = misses = 0
        while not self._stop.is_set():
            if self._timeout is not None and time.monotonic() - started > self._timeout:
                return ScanOutcome(StopReason.TIMED_OUT, frames=frames)
            ok, frame = capture.read()
            if not ok or frame is None:
                if isinstance(self.source, str) and frames:
                    return ScanOutcome(StopReason.ENDED, frames=frames)
                failed_reads += 1
                if failed_reads >= _FAILED_READS_BEFORE_GIVING_UP or isinstance(self.source, str):
                    raise self._read_failure(frames)
                continue
            failed_reads = 0
            frames += 1
            now = time.monotonic()
            if self._on_frame is not None and now - last_preview >= self._preview_gap:
                last_preview = now
                self._on_frame(frame)
            gray = qr_decode.to_gray(frame)
            found = qr_decode.scan_gray(gray, decoder, accept=self._accept, try_harder=False)
            if found is None:
                misses += 1
                self._recent.append(gray)
                if misses % self._harder_every == 0:
                    found = self._try_harder(gray, decoder, frame)
            if found is not None:
                self._release()  # the moment the code is read, before anyone is told
                return ScanOutcome(StopReason.FOUND, result=found, frames=frames)
        return ScanOutcome(StopReason.CLOSED, frames=frames)

    def _try_harder(self, gray: Image, decoder: QrDecoder, colour: Image) -> ScanResult | None:
        found = qr_decode.scan_gray(
            gray, decoder, accept=self._accept, try_harder=True, colour=colour
        )
        same = [f for f in self._recent if f.shape == gray.shape]
        if found is None and len(same) >= 2:
            mean = np.mean(np.stack(same), axis=0).round().astype(np.uint8)
            found = qr_decode.scan_gray(mean, decoder, accept=self._accept, try_harder=True)
            if found is not None:
                found = ScanResult(
                    found.text, found.decoder, f"{len(same)}-frame-{found.pass_name}", 0.0
                )
        return found

    def _read_failure(self, frames: int) -> CameraError:
        if isinstance(self.source, str):
            return CameraFailed(f"The video '{self.source}' has no pictures this app can read.")
        if frames == 0:
            return CameraBusy(
                f"Camera {self.source} opened but sends no pictures: another application may be "
                "using it. Close it and try again."
            )
        return CameraFailed("The camera stopped sending pictures. Was it unplugged?")
