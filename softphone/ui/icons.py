"""The app's icons as QIcons, made once from the files ``softphone.desktop.assets`` finds.

Both are pixmap icons with a list of sizes rather than Qt's SVG icon engine: that engine keeps
one added pixmap and reports no sizes, and the window managers' icon lists and the D-Bus tray
are filled from ``availableSizes()``. Rendering the tray SVGs here with QtSvg also needs no
icon-engine plugin in a bundle.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from softphone.desktop import assets

if TYPE_CHECKING:  # tray.py imports this module
    from softphone.ui.tray import TrayStatus

TRAY_SIZES: Final = (16, 20, 22, 24, 32, 48, 64)


@cache
def app_icon() -> QIcon:
    """The app icon at each of ``assets.PNG_SIZES`` (Qt scales the nearest for other sizes)."""
    icon = QIcon()
    for size in assets.PNG_SIZES:
        icon.addFile(str(assets.app_icon_png(size)), QSize(size, size))
    return icon


@cache
def tray_icon(status: TrayStatus) -> QIcon:
    """The tray's icon for ``status``, rendered at each of :data:`TRAY_SIZES`."""
    return _rendered(assets.tray_icon_svg(status.value), TRAY_SIZES)


def _rendered(svg: Path, sizes: tuple[int, ...]) -> QIcon:
    # the tray's, once shown: not the first window's (each Qt class is made on first use)
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter, QPixmap
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    icon = QIcon()
    if not renderer.isValid():  # Qt has logged why; a null icon beats no app
        return icon
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(QPixmap.fromImage(image))
    return icon
