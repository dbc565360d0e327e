"""Reading an image file for scanning without letting the file choose how much memory we use.

A 900 KB PNG can declare 30000 × 30000 pixels and make a decoder allocate gigabytes before any
check on the decoded image runs. So: the file must be a regular file (never a FIFO, a device or a
directory: no blocking, no endless reads), at most ``MAX_FILE_BYTES``, and its header — read here
with ``struct``, for the formats we accept — must declare at most ``MAX_PIXELS`` before OpenCV
sees a byte of it. Formats without a reader here (TIFF, JPEG 2000, OpenEXR…) are refused.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from pathlib import Path
from typing import Final

from softphone.provisioning.qr_errors import (
    ImageNotFound,
    ImageTooLarge,
    NotAnImage,
    NotARegularFile,
    QrImageError,
)

MAX_FILE_BYTES: Final = 50 * 1024 * 1024
MAX_PIXELS: Final = 40_000_000
_READ_FAILED: Final = "Cannot read {path}: {reason}."
_NOT_AN_IMAGE: Final = "{path} is not an image this app can read (PNG, JPEG, WebP, BMP or GIF)."


def read_image_file(path: str | Path) -> bytes:
    """The bytes of a regular image file, refused before reading when it cannot be one."""
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        raise ImageNotFound(f"Cannot read {path}: there is no such file.") from None
    except OSError as err:
        raise QrImageError(_READ_FAILED.format(path=path, reason=err.strerror)) from None
    _require_regular(path, info.st_mode)
    if info.st_size > MAX_FILE_BYTES:
        raise ImageTooLarge(_too_large_file(path))
    try:
        # O_NONBLOCK: the path may have been swapped for a FIFO since the stat above.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as err:
        if err.errno == errno.ENOENT:
            raise ImageNotFound(f"Cannot read {path}: there is no such file.") from None
        raise QrImageError(_READ_FAILED.format(path=path, reason=err.strerror)) from None
    try:
        _require_regular(path, os.fstat(fd).st_mode)
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise QrImageError(_READ_FAILED.format(path=path, reason=err.strerror)) from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise ImageTooLarge(_too_large_file(path))
    return data


def check_dimensions(data: bytes, path: str | Path) -> tuple[int, int]:
    """(width, height) from the header; refuses unknown formats and more than MAX_PIXELS."""
    size = image_size(data)
    if size is None:
        raise NotAnImage(_NOT_AN_IMAGE.format(path=path))
    width, height = size
    if width <= 0 or height <= 0:
        raise NotAnImage(_NOT_AN_IMAGE.format(path=path))
    if width * height > MAX_PIXELS:
        raise ImageTooLarge(
            f"{path} is {width} × {height} pixels: too large to scan (at most "
            f"{MAX_PIXELS // 1_000_000} megapixels). Crop or scale the picture down."
        )
    return size


def image_size(data: bytes) -> tuple[int, int] | None:
    """The declared size of a PNG, JPEG, WebP, BMP or GIF; None for anything else."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png(data)
        if data.startswith(b"\xff\xd8"):
            return _jpeg(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp(data)
        if data.startswith(b"BM"):
            return _bmp(data)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack_from("<HH", data, 6)
            return width, height
    except (struct.error, IndexError):  # a header cut short
        return None
    return None


def _require_regular(path: str | Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    what = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    raise NotARegularFile(f"Cannot read {path}: it is {what}, not an image file.")


def _too_large_file(path: str | Path) -> str:
    return (
        f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: too large to be a "
        "picture of a QR code."
    )


def _png(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack_from(">II", data, 16)
    return width, height


_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # no length
            at += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before it
            return None
        (length,) = struct.unpack_from(">H", data, at + 2)
        if marker in _SOF:
            height, width = struct.unpack_from(">HH", data, at + 5)
            return width, height
        if length < 2:
            return None
        at += 2 + length
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":  # lossy: frame tag (3), start code 9d 01 2a, 14-bit sizes
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":  # lossless: signature 0x2f, then 14-bit width-1 and height-1
        if data[20] != 0x2F:
            return None
        (bits,) = struct.unpack_from("<I", data, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24-bit canvas width-1 and height-1
        if len(data) < 30:
            return None
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def _bmp(data: bytes) -> tuple[int, int] | None:
    (header,) = struct.unpack_from("<I", data, 14)
    if header == 12:  # BITMAPCOREHEADER
        width, height = struct.unpack_from("<HH", data, 18)
        return width, height
    width, height = struct.unpack_from("<ii", data, 18)
    return width, abs(height)  # negative height: rows stored top-down
