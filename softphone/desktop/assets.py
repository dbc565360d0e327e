"""Where the app's icon files are. Paths only, and Qt-free, so the link handler can name the
icon in a ``.desktop`` file; ``softphone.ui.icons`` turns them into QIcons.

The files live in the checkout's top-level ``resources/`` (``resources/build-icons`` makes the
PNG, ICO and ICNS files from the SVG). A wheel carries that folder as ``softphone/resources``
(hatch's force-include in ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

APP_ICON: Final = "vicifast-phone"
DESKTOP_ID: Final = "vicifast-phone.desktop"  # the desktop entry: its file and the app's name
PNG_SIZES: Final = (16, 24, 32, 48, 64, 128, 256, 512)
TRAY_STATUSES: Final = ("registered", "not_registered", "in_call", "missed")

_PACKAGE = Path(__file__).resolve().parents[1]  # softphone/


def resources_dir() -> Path:
    """The installed ``softphone/resources`` if there is one, else the checkout's ``resources/``.

    A PyInstaller bundle unpacks this module under ``sys._MEIPASS/softphone/``, so the first
    path also finds the files there as long as the spec adds ``resources`` as
    ``softphone/resources``."""
    for candidate in (_PACKAGE / "resources", _PACKAGE.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"The app's icons are missing: neither {_PACKAGE / 'resources'} nor "
        f"{_PACKAGE.parent / 'resources'} exists. Reinstall VICIfast Desktop; in a source "
        "checkout, restore the top-level resources/ folder."
    )


def app_icon_svg() -> Path:
    return resources_dir() / "icons" / f"{APP_ICON}.svg"


def app_icon_png(size: int) -> Path:
    """The app icon rendered at ``size`` pixels, one of :data:`PNG_SIZES`."""
    if size not in PNG_SIZES:
        raise ValueError(f"no {size} px app icon; the sizes are {PNG_SIZES}")
    return resources_dir() / "icons" / "png" / f"{APP_ICON}-{size}.png"


def app_icon_ico() -> Path:
    return resources_dir() / "icons" / f"{APP_ICON}.ico"


def app_icon_icns() -> Path:
    return resources_dir() / "icons" / f"{APP_ICON}.icns"


def tray_icon_svg(status: str) -> Path:
    """The tray icon for a ``TrayStatus`` value (one of :data:`TRAY_STATUSES`)."""
    if status not in TRAY_STATUSES:
        raise ValueError(f"no tray icon for {status!r}; the statuses are {TRAY_STATUSES}")
    return resources_dir() / "icons" / f"tray-{status}.svg"
