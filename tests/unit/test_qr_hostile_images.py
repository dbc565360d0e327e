"""`qr scan --json` on hostile files, in a child process under a 1 GiB address-space limit.

Each case must end with exactly one JSON object on stdout, the documented exit status, no
traceback, and quickly: a decompression bomb is refused from its header, a FIFO is never opened
for a blocking read, /dev/zero is never read endlessly (issue 15, findings 5-7).
"""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from softphone.provisioning import qr_image

MEMORY_LIMIT = 1024**3
TIME_LIMIT_S = 60


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def scan(image: Path | str) -> tuple[int, dict[str, object], str]:
    done = subprocess.run(
        [sys.executable, "-m", "softphone.cli", "qr", "scan", "--image", str(image), "--json"],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_S,
        preexec_fn=_limit_memory,
        env={**os.environ, "OPENCV_LOG_LEVEL": "ERROR"},
        check=False,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(lines[0])
    assert isinstance(report, dict)
    return done.returncode, report, done.stderr


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int) -> bytes:
    """A valid PNG header declaring side × side gray pixels, and a small deflate stream of zeros
    (the first rows; a decoder that trusts the header allocates the whole image first)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    zeros = bytes(1 << 20)
    idat = b"".join(packer.compress(zeros) for _ in range(8)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def webp_vp8x(width: int, height: int) -> bytes:
    body = b"VP8X" + struct.pack("<I", 10) + bytes(4)
    body += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def webp_vp8(width: int, height: int) -> bytes:
    frame = b"\x00\x00\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + bytes(64)
    body = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def jpeg_sof(width: int, height: int) -> bytes:
    sof = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9"


def small_png() -> bytes:
    ok, encoded = cv2.imencode(".png", np.full((64, 64), 255, np.uint8))
    assert ok
    return bytes(encoded)


BOMBS: dict[str, Callable[[], bytes]] = {
    "png-30000": lambda: png_bomb(30000),
    "png-40000": lambda: png_bomb(40000),
    "webp-vp8x-16384": lambda: webp_vp8x(16384, 16384),
    "webp-vp8-16383": lambda: webp_vp8(16383, 16383),
    "jpeg-65535": lambda: jpeg_sof(65535, 65535),
    "gif-65535": lambda: b"GIF89a" + struct.pack("<HH", 65535, 65535) + bytes(8),
    "bmp-30000": lambda: b"BM" + bytes(12) + struct.pack("<Iii", 40, 30000, -30000) + bytes(28),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_decompression_bomb_is_refused_from_its_header(tmp_path: Path, name: str) -> None:
    data = BOMBS[name]()
    assert len(data) < 100_000
    path = tmp_path / "bomb.img"
    path.write_bytes(data)
    status, report, _ = scan(path)
    assert status == 2
    assert report["ok"] is False and report["error"] == "too_large", report
    assert "too large" in str(report["message"])


@pytest.mark.parametrize(
    ("name", "make", "error"),
    [
        ("empty", lambda p: p.write_bytes(b""), "not_an_image"),
        ("text", lambda p: p.write_text("hello, not a picture\n"), "not_an_image"),
        ("truncated-png", lambda p: p.write_bytes(small_png()[:40]), "not_an_image"),
        ("directory", lambda p: p.mkdir(), "not_a_file"),
        ("fifo", os.mkfifo, "not_a_file"),
        ("missing", lambda p: None, "no_such_file"),
    ],
)
def test_files_that_are_not_images(
    tmp_path: Path, name: str, make: Callable[[Path], object], error: str
) -> None:
    path = tmp_path / name
    make(path)
    status, report, _ = scan(path)
    assert status == 2
    assert report["ok"] is False and report["error"] == error, report
    assert report["message"]


def test_dev_zero_is_a_device_not_an_endless_file() -> None:
    status, report, _ = scan("/dev/zero")
    assert status == 2 and report["error"] == "not_a_file"
    assert "device" in str(report["message"])


def test_a_file_over_the_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as file:  # sparse: no disk used
        file.write(small_png())
        file.truncate(qr_image.MAX_FILE_BYTES + 1)
    status, report, _ = scan(path)
    assert status == 2 and report["error"] == "too_large"


def test_a_blank_image_is_no_code(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    path.write_bytes(small_png())
    status, report, _ = scan(path)
    assert status == 1 and report == {**report, "ok": False, "error": "no_code"}


def test_the_header_reader_agrees_with_opencv() -> None:
    image = np.zeros((37, 53, 3), np.uint8)
    for ext in (".png", ".jpg", ".bmp", ".webp"):
        ok, encoded = cv2.imencode(ext, image)
        assert ok
        assert qr_image.image_size(bytes(encoded)) == (53, 37), ext
    ok, lossless = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, 101])
    assert ok and qr_image.image_size(bytes(lossless)) == (53, 37)
