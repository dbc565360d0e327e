"""Colours of the phone screens that the system palette has no role for (call / hang-up, status).

Everything else follows the system palette, so dark and light modes come for free; these few
are chosen to read on both, and the widgets ask again when the palette changes.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QColor, QPalette

_GREEN, _GREEN_HOVER, _GREEN_DOWN = "#1f9d55", "#25b163", "#187d44"
# Call with nothing to call: the same green, faded into the window (light or dark), still labelled
_GREEN_FADED = "rgba(31, 157, 85, 0.35)"
_RED, _RED_HOVER, _RED_DOWN = "#d64541", "#e4574f", "#b13531"

ACCENT_STYLE: Final = f"""
QPushButton#callButton, QPushButton#answerButton, QPushButton#answerWaitingButton {{
    background-color: {_GREEN}; color: white; border: 2px solid {_GREEN};
    border-radius: 8px; padding: 4px 12px; font-weight: 600;
}}
QPushButton#callButton:hover, QPushButton#answerButton:hover,
QPushButton#answerWaitingButton:hover {{ background-color: {_GREEN_HOVER}; }}
QPushButton#callButton:pressed, QPushButton#answerButton:pressed,
QPushButton#answerWaitingButton:pressed {{ background-color: {_GREEN_DOWN}; }}
QPushButton#hangupButton, QPushButton#declineButton {{
    background-color: {_RED}; color: white; border: 2px solid {_RED};
    border-radius: 8px; padding: 4px 12px; font-weight: 600;
}}
QPushButton#hangupButton:hover, QPushButton#declineButton:hover {{
    background-color: {_RED_HOVER};
}}
QPushButton#hangupButton:pressed, QPushButton#declineButton:pressed {{
    background-color: {_RED_DOWN};
}}
QPushButton#callButton:focus, QPushButton#answerButton:focus,
QPushButton#answerWaitingButton:focus, QPushButton#hangupButton:focus,
QPushButton#declineButton:focus {{ border: 2px solid palette(highlighted-text); }}
QPushButton#muteButton:checked, QPushButton#holdButton:checked {{
    background-color: palette(highlight); color: palette(highlighted-text);
    border: 1px solid palette(highlight); border-radius: 4px; font-weight: 600;
}}
QPushButton#callButton:disabled {{
    background-color: {_GREEN_FADED}; border-color: {_GREEN_FADED};
    color: palette(window-text);
}}
"""


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def status_color(tone: str, palette: QPalette) -> QColor:
    """The registration dot: ``ok``, ``busy`` (registering, retrying), ``bad`` or ``idle``."""
    dark = is_dark(palette)
    colors = {
        "ok": "#3ccf7a" if dark else "#1f9d55",
        "busy": "#f0b43c" if dark else "#b7791f",
        "bad": "#ff6b63" if dark else "#c53030",
    }
    if tone in colors:
        return QColor(colors[tone])
    return palette.color(QPalette.ColorRole.PlaceholderText)


def message_color(error: bool, palette: QPalette) -> QColor:
    if error:
        return QColor("#ff8a80" if is_dark(palette) else "#b42318")
    return palette.color(QPalette.ColorRole.WindowText)


def muted_text(palette: QPalette) -> QColor:
    """Secondary text (a number under a name, letters on keys)."""
    return palette.color(QPalette.ColorRole.PlaceholderText)
