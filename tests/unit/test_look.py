"""The visual system (softphone/ui/look.py) is legible and is the one the screens use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from softphone.ui import look
from softphone.ui.theme import dark_palette

UI = Path(look.__file__).parent


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _palettes(qapp: QApplication) -> dict[str, QPalette]:
    return {"light": qapp.style().standardPalette(), "dark": dark_palette()}


@pytest.mark.parametrize("tone", [look.Tone.OK, look.Tone.BUSY, look.Tone.BAD])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_state_word_is_legible_on_its_window_light_and_dark(
    qapp: QApplication, tone: look.Tone, scheme: str
) -> None:
    palette = _palettes(qapp)[scheme]
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
        ratio = contrast(look.tone_color(tone, palette), palette.color(role))
        assert ratio >= 4.5, (tone, scheme, role, round(ratio, 2))


@pytest.mark.parametrize(
    "fill", [look.CALL_GREEN, look.CALL_GREEN_HOVER, look.CALL_GREEN_DOWN, look.HANGUP_RED,
             look.HANGUP_RED_HOVER, look.HANGUP_RED_DOWN],
)  # fmt: skip
def test_the_label_on_a_call_or_hang_up_button_is_legible(fill: str) -> None:
    assert contrast(QColor(look.ON_FILL), QColor(fill)) >= 4.5


def test_the_steps_grow_with_the_font_and_keep_their_order(qtbot: QtBot) -> None:
    label = QLabel("x")
    qtbot.addWidget(label)
    gaps = [look.space(label, step) for step in look.Space]
    assert gaps == sorted(gaps) and len(set(gaps)) == len(gaps)
    big = QLabel("x")
    qtbot.addWidget(big)
    look.set_text(big, look.Text.TITLE)
    assert look.space(big, look.Space.LARGE) > look.space(label, look.Space.LARGE)
    sizes = [look.text_font(label.font(), step).pointSizeF() for step in look.Text]
    assert sizes == sorted(sizes)
    assert look.text_font(label.font(), look.Text.BODY).pointSizeF() == label.font().pointSizeF()


def _sources() -> list[tuple[Path, str]]:
    skip = {UI / "look.py", UI / "theme.py", UI / "qr_sheet.py"}  # the sheet prints in points
    return [(p, p.read_text()) for p in sorted(UI.rglob("*.py")) if p not in skip]


def test_no_screen_picks_its_own_colour_or_text_size() -> None:
    """A literal colour or a font size outside look.py is a screen leaving the system."""
    colour = re.compile(r"[\"']#[0-9a-fA-F]{6}[\"']")
    size = re.compile(r"setPointSizeF?\(|setPixelSize\(|font-size")
    strays = [
        f"{path.relative_to(UI)}:{n}: {line.strip()}"
        for path, text in _sources()
        for n, line in enumerate(text.splitlines(), 1)
        if colour.search(line) or size.search(line)
    ]
    assert strays == []
