"""QImage ↔ pixel arrays: what the QR decoders take, and a camera frame the preview can show."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QImage


def qimage_to_gray(image: QImage) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A copy of ``image`` as an 8-bit grayscale array (what the decoders take)."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = gray.width(), gray.height(), gray.bytesPerLine()
    if width == 0 or height == 0:
        return np.zeros((0, 0), np.uint8)
    raw = np.frombuffer(gray.constBits(), np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, :width].copy()


def frame_to_qimage(frame: np.ndarray[Any, Any]) -> QImage:
    """A camera frame (BGR or grayscale) as a QImage that owns its pixels."""
    frame = np.ascontiguousarray(frame)
    height, width = frame.shape[:2]
    if frame.ndim == 2:
        fmt, stride = QImage.Format.Format_Grayscale8, width
    else:
        fmt, stride = QImage.Format.Format_BGR888, width * 3
    return QImage(frame.data, width, height, stride, fmt).copy()
