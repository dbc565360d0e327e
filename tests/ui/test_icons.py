"""The icons as Qt sees them: the app icon at every size, a distinct tray icon per status, and
the ICO and ICNS readable by Qt's own image plugins."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QImageReader
from pytestqt.qtbot import QtBot

from softphone.desktop import assets
from softphone.ui.icons import TRAY_SIZES, app_icon, tray_icon
from softphone.ui.tray import TrayStatus


def test_the_app_icon_has_every_size(qtbot: QtBot) -> None:
    icon = app_icon()
    assert not icon.isNull()
    assert icon.availableSizes() == [QSize(s, s) for s in assets.PNG_SIZES]
    for size in (16, 22, 32, 48, 256):
        pixmap = icon.pixmap(size, size)
        assert pixmap.size() == QSize(size, size)
        assert not pixmap.toImage().isNull()
    assert app_icon() is app_icon()  # made once


def test_each_tray_status_has_its_own_icon(qtbot: QtBot) -> None:
    assert tuple(TrayStatus) == assets.TRAY_STATUSES
    images = []
    for status in TrayStatus:
        icon = tray_icon(status)
        assert not icon.isNull()
        assert icon.availableSizes() == [QSize(s, s) for s in TRAY_SIZES]
        image = icon.pixmap(22, 22).toImage()
        assert image.size() == QSize(22, 22)
        assert image.pixelColor(11, 11).alpha() == 255  # the disc, not a blank square
        images.append(bytes(image.constBits()))
    assert len(set(images)) == len(TrayStatus)


def test_the_tray_colours_keep_their_meaning(qtbot: QtBot) -> None:
    def disc(status: TrayStatus) -> tuple[int, int, int]:
        # Left of centre at mid-height: the disc's colour, clear of the handset and badges.
        color = tray_icon(status).pixmap(64, 64).toImage().pixelColor(6, 32)
        return color.red(), color.green(), color.blue()

    red, green, blue = disc(TrayStatus.REGISTERED)
    assert green > red and green > blue
    assert disc(TrayStatus.MISSED) == disc(TrayStatus.REGISTERED)
    red, green, blue = disc(TrayStatus.IN_CALL)
    assert blue > red and blue > green
    red, green, blue = disc(TrayStatus.NOT_REGISTERED)
    assert max(red, green, blue) - min(red, green, blue) < 8  # grey
    badge = tray_icon(TrayStatus.MISSED).pixmap(64, 64).toImage().pixelColor(48, 16)
    assert badge.red() > 150 and badge.green() < 100 and badge.blue() < 100


def test_qt_reads_the_ico_and_the_icns(qtbot: QtBot) -> None:
    for path, sizes in (
        (assets.app_icon_ico(), [16, 24, 32, 48, 64, 256]),
        (assets.app_icon_icns(), [128, 256, 512, 1024, 32, 64, 256, 512]),
    ):
        reader = QImageReader(str(path))
        found = []
        for index in range(reader.imageCount()):
            assert reader.jumpToImage(index)
            image = reader.read()
            assert not image.isNull(), (path.name, index, reader.errorString())
            found.append(image.width())
        assert found == sizes, path.name
