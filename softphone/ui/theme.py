"""Light or dark windows: the Settings page's theme choice applied to the whole app.

Qt 6.8+ asks the platform for the colour scheme (``QStyleHints.setColorScheme``); Windows,
macOS and the desktops with a colour-scheme portal switch their own palette. Where the platform
cannot (an X11 session without one, the offscreen platform), the app paints Fusion's light
palette or a dark one itself. GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from softphone.storage.settings import Theme
from softphone.ui.look import is_dark

_SCHEMES = {Theme.LIGHT: Qt.ColorScheme.Light, Theme.DARK: Qt.ColorScheme.Dark}
_R = QPalette.ColorRole
_DARK_COLOURS = (
    (_R.Window, "#2b2b2b"), (_R.WindowText, "#e6e6e6"), (_R.Base, "#3b3b3b"),
    (_R.AlternateBase, "#424242"), (_R.ToolTipBase, "#3a3a3a"), (_R.ToolTipText, "#e6e6e6"),
    (_R.PlaceholderText, "#9a9a9a"), (_R.Text, "#e6e6e6"), (_R.Button, "#4a4a4a"),
    (_R.ButtonText, "#f0f0f0"), (_R.BrightText, "#ff6b6b"), (_R.Light, "#6a6a6a"),
    (_R.Midlight, "#5a5a5a"), (_R.Mid, "#6a6a6a"), (_R.Dark, "#1a1a1a"), (_R.Shadow, "#101010"),
    (_R.Highlight, "#3d7bd9"), (_R.HighlightedText, "#ffffff"), (_R.Link, "#6ea8ff"),
    (_R.LinkVisited, "#b48cff"),
)  # fmt: skip
# Fusion draws frames and check boxes' borders a shade darker than the window, which a dark
# window swallows: fields, check boxes and buttons are lighter than the window instead, so
# their fill shows where they are.
_DISABLED = (_R.WindowText, _R.Text, _R.ButtonText, _R.PlaceholderText)
_PAINTED = "vicifastThemePainted"  # the app's palette is ours (so "system" takes it back)


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK_COLOURS:
        palette.setColor(role, QColor(colour))
    for role in _DISABLED:
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#8e8e8e"))
    return palette


def apply_theme(theme: Theme) -> None:
    """Show the app in ``theme`` from now on (every open window too)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if app.property(_PAINTED):  # the platform's own palette again, before asking it
        app.setProperty(_PAINTED, False)
        app.setPalette(QPalette())
    hints = QGuiApplication.styleHints()
    scheme = _SCHEMES.get(theme)
    if scheme is None:
        hints.unsetColorScheme()
        return
    hints.setColorScheme(scheme)
    dark = theme is Theme.DARK
    if is_dark(QApplication.palette()) != dark:  # the platform did not switch: paint it
        app.setPalette(dark_palette() if dark else app.style().standardPalette())
        app.setProperty(_PAINTED, True)
