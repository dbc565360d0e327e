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


def test_the_tray_icons_are_the_app_glyph_with_a_status_badge(qtbot: QtBot) -> None:
    def rgb(status: TrayStatus, x: int, y: int) -> tuple[int, int, int]:
        color = tray_icon(status).pixmap(64, 64).toImage().pixelColor(x, y)
        return color.red(), color.green(), color.blue()

    def square(status: TrayStatus) -> tuple[int, int, int]:
        return rgb(status, 6, 32)  # left edge at mid-height: clear of the handset and badge

    def badge(status: TrayStatus) -> tuple[int, int, int]:
        return rgb(status, 43, 20)  # the badge, clear of its white mark

    def hue(color: tuple[int, int, int]) -> str:
        red, green, blue = color
        if max(color) - min(color) < 8:
            return "grey"
        return {red: "red", green: "green", blue: "blue"}[max(color)]

    # The app icon's blue square while the phone works, grey while it cannot take calls.
    for status in (TrayStatus.REGISTERED, TrayStatus.IN_CALL, TrayStatus.MISSED):
        assert hue(square(status)) == "blue", status
    assert hue(square(TrayStatus.NOT_REGISTERED)) == "grey"
    # The handset is the app's white one at any size a panel asks for.
    for status in TrayStatus:
        for size in (16, 22):
            image = tray_icon(status).pixmap(size, size).toImage()
            assert image.pixelColor(size * 14 // 64, size * 30 // 64).lightness() > 200, status
    assert hue(badge(TrayStatus.REGISTERED)) == "green"
    assert hue(badge(TrayStatus.NOT_REGISTERED)) == "red"
    assert hue(badge(TrayStatus.MISSED)) == "red"
    red, green, blue = rgb(TrayStatus.IN_CALL, 55, 22)  # the amber sound wave
    assert red > 200 and green > 150 and blue < 80
    # The badge stands clear of the square: a transparent ring between them.
    for status in (TrayStatus.REGISTERED, TrayStatus.NOT_REGISTERED, TrayStatus.MISSED):
        image = tray_icon(status).pixmap(64, 64).toImage()
        assert image.pixelColor(39, 25).alpha() == 0, status


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
