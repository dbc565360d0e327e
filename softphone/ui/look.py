"""The app's visual system: one spacing scale, one type scale and one colour a state.

Every screen takes its sizes and state colours from here, so the pages agree (an error is the same
red on the sign-in form, in Recents and in the provisioning pane; a title is the same size on
the sign-in form and in About) and a change is made once.

- Spacing steps are fractions of the font's line height (``em``), so they grow with the font and
  the screen's scale instead of being fixed pixels.
- Type steps multiply the app's font size: the person's font setting stays the base.
- State colours come in a light and a dark variant, each at least 4.5:1 against the window it is
  drawn on, so a state word in that colour is legible (tests/unit/test_look.py measures it).
  Everything else follows the system palette.
"""

from __future__ import annotations

import enum
from typing import Final

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QWidget


class Space(enum.Enum):
    """Gaps and margins, as a fraction of the line height."""

    TIGHT = 0.25  # inside one control group (a field and its button)
    SMALL = 0.5  # between related controls (a row of buttons)
    MEDIUM = 2 / 3  # between the blocks of one page
    LARGE = 1.0  # around a page, a window's margin
    XLARGE = 1.5  # between the sections of a long page


class Text(enum.Enum):
    """Text sizes, as a factor of the app's font size."""

    CAPTION = 0.8  # secondary lines: a number under a name, a hint
    BODY = 1.0
    HEADING = 1.2  # a section's heading
    TITLE = 1.5  # a page's or a dialog's title, a caller's name
    DISPLAY = 2.0  # one figure to read from afar: the call timer


class Tone(enum.Enum):
    """What a state means to the person, hence its colour."""

    OK = "ok"  # registered, connected
    BUSY = "busy"  # on the way: registering, retrying, a warning
    BAD = "bad"  # failed, an error to act on
    IDLE = "idle"  # nothing going on: signed out, not registered by choice


# (light window, dark window): each ≥ 4.5:1 against Fusion's light window and our dark one
_TONES: Final = {
    Tone.OK: ("#1b7a43", "#4cd98a"),
    Tone.BUSY: ("#8a5a00", "#f0b43c"),
    Tone.BAD: ("#b42318", "#ff8a80"),
}

# Filled buttons (Call, Answer; Hang up, Decline) with white text at ≥ 4.5:1 on each fill
CALL_GREEN: Final = "#1b8049"  # 4.96:1 with white
CALL_GREEN_HOVER: Final = "#15753d"  # 5.76:1
CALL_GREEN_DOWN: Final = "#116232"  # 7.45:1
HANGUP_RED: Final = "#c53030"  # 5.47:1
HANGUP_RED_HOVER: Final = "#b83530"  # 5.85:1
HANGUP_RED_DOWN: Final = "#9e2a26"  # 7.47:1
ON_FILL: Final = "#ffffff"


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def tone_color(tone: Tone, palette: QPalette) -> QColor:
    """The colour of a state drawn on ``palette``'s window (dots, state words, messages)."""
    if tone is Tone.IDLE:
        return palette.color(QPalette.ColorRole.PlaceholderText)
    light, dark = _TONES[tone]
    return QColor(dark if is_dark(palette) else light)


def message_color(error: bool, palette: QPalette) -> QColor:
    """A message's text: the error colour, else the window's text."""
    if error:
        return tone_color(Tone.BAD, palette)
    return palette.color(QPalette.ColorRole.WindowText)


def muted_color(palette: QPalette) -> QColor:
    """Secondary text (a number under a name, letters on keys, hints)."""
    return palette.color(QPalette.ColorRole.PlaceholderText)


def space(widget: QWidget, step: Space) -> int:
    """A gap of ``step`` in pixels for ``widget``'s font (at least 2)."""
    return max(2, round(widget.fontMetrics().height() * step.value))


def text_font(base: QFont, step: Text, *, bold: bool = False) -> QFont:
    """``base`` at the size ``step`` says; weight bold or as ``base`` has it."""
    font = QFont(base)
    if base.pointSizeF() > 0:
        font.setPointSizeF(base.pointSizeF() * step.value)
    else:  # a pixel-sized font (some platforms' default)
        font.setPixelSize(max(1, round(base.pixelSize() * step.value)))
    if bold:
        font.setBold(True)
    return font


def set_text(widget: QWidget, step: Text, *, bold: bool = False) -> None:
    """Show ``widget``'s text at ``step`` of the app's font."""
    widget.setFont(text_font(widget.font(), step, bold=bold))
