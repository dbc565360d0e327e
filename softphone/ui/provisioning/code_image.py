"""A code as an on-screen picture, for the one-agent preview and the batch's selected row."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

from softphone.provisioning import qr_make


def code_pixmap(uri: str, side: int, ratio: float = 1.0) -> QPixmap:
    """The code as a crisp black-on-white pixmap about ``side`` logical pixels wide."""
    image = QImage.fromData(qr_make.render(uri, "png", scale=1, border=4))
    device_side = int(side * ratio)
    scaled = image.scaled(
        max(1, device_side // image.width()) * image.width(),
        max(1, device_side // image.height()) * image.height(),
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation,
    )
    pixmap = QPixmap.fromImage(scaled)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap
