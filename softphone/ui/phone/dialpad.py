"""The 12-key dialpad and the number field it types into."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QGridLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QToolButton,
    QWidget,
)

from softphone.ui.look import Text, set_text, text_font
from softphone.ui.phone.phone_numbers import clean_dial_text
from softphone.ui.phone.style import ACCENT_BUTTONS

KEYS: Final = (
    ("1", ""),
    ("2", "ABC"),
    ("3", "DEF"),
    ("4", "GHI"),
    ("5", "JKL"),
    ("6", "MNO"),
    ("7", "PQRS"),
    ("8", "TUV"),
    ("9", "WXYZ"),
    ("*", ""),
    ("0", "+"),
    ("#", ""),
)
DTMF_KEYS: Final = frozenset("0123456789*#")
LONG_PRESS_MS: Final = 600  # holding 0 this long types "+", as on a phone


class TwoLineButton(QPushButton):
    """A button with a title and a small second line (a key's letters, an action's shortcut).

    Painted rather than given two-line text so the two lines can differ in size; the bevel is
    the style's own (and a style sheet's, for the accent buttons).
    """

    def __init__(
        self,
        title: str,
        detail: str = "",
        *,
        title_size: Text = Text.BODY,
        keep_detail_line: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._title = title
        self._detail = detail
        self._title_size = title_size
        self._keep_line = keep_detail_line  # dialpad keys: digits on one line, letters or not
        self.setAccessibleName(title)

    def set_lines(self, title: str, detail: str | None = None) -> None:
        self._title = title
        if detail is not None:
            self._detail = detail
        self.setAccessibleName(title)
        self.updateGeometry()
        self.update()

    def title(self) -> str:
        return self._title

    def _fonts(self) -> tuple[QFont, QFont]:
        small = text_font(self.font(), Text.CAPTION)
        small.setBold(False)
        return text_font(self.font(), self._title_size), small

    def sizeHint(self) -> QSize:
        big, small = self._fonts()
        title_metrics, detail_metrics = QFontMetrics(big), QFontMetrics(small)
        width = max(
            title_metrics.horizontalAdvance(self._title),
            detail_metrics.horizontalAdvance(self._detail),
        )
        lines = title_metrics.height()
        if self._detail or self._keep_line:
            lines += detail_metrics.height()
        em = self.fontMetrics().height()
        return QSize(width + em * 2, lines + em)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        option = QStyleOptionButton()
        self.initStyleOption(option)
        option.text = ""
        self.style().drawControl(QStyle.ControlElement.CE_PushButton, option, painter, self)
        big, small = self._fonts()
        title_height = QFontMetrics(big).height()
        detail_height = QFontMetrics(small).height() if (self._detail or self._keep_line) else 0
        rect = self.contentsRect()
        top = rect.top() + (rect.height() - title_height - detail_height) // 2
        if self.isDown():
            top += 1
        color = QColor(self.palette().buttonText().color())
        if not self.isEnabled():
            # Faded as well: some palettes give disabled text the enabled colour.
            disabled = QPalette.ColorGroup.Disabled
            color = QColor(self.palette().color(disabled, QPalette.ColorRole.ButtonText))
            color.setAlphaF(0.55)
        painter.setPen(color)
        painter.setFont(big)
        center = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(QRect(rect.left(), top, rect.width(), title_height), center, self._title)
        if self._detail:
            faded = QColor(color)
            if self.objectName() not in ACCENT_BUTTONS:  # on green/red, faded text is unreadable
                faded.setAlphaF(color.alphaF() * 0.7)
            painter.setPen(faded)
            painter.setFont(small)
            line = QRect(rect.left(), top + title_height, rect.width(), detail_height)
            painter.drawText(line, center, self._detail)
        painter.end()


class DialpadButton(TwoLineButton):
    """A key showing its digit large with its letters small underneath.

    Once :meth:`enable_long_press` is called, holding it emits ``longPressed`` and makes
    ``long_pressed`` true until the mouse is let go: the click that follows is not the digit.
    """

    longPressed = Signal()

    def __init__(self, digit: str, letters: str, parent: QWidget | None = None) -> None:
        super().__init__(
            digit, letters, title_size=Text.TITLE, keep_detail_line=True, parent=parent
        )
        self.digit = digit
        self.letters = letters
        self.long_pressed = False
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing goes to the field; keys mirror it
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(digit if not letters else f"{digit} {letters}")
        self.setToolTip(self.tr("Key {0}").format(digit))
        em = self.fontMetrics().height()
        self.setMaximumSize(em * 7, int(em * 3.6))

    def enable_long_press(self, ms: int) -> None:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(self._on_held)
        # pressed/released also follow the mouse leaving and re-entering the key while held
        self.pressed.connect(lambda: None if self.long_pressed else timer.start())
        self.released.connect(timer.stop)

    def _on_held(self) -> None:
        if self.isDown():
            self.long_pressed = True
            self.longPressed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.long_pressed = False
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)  # its click, if any, still sees long_pressed
        self.long_pressed = False

    def sizeHint(self) -> QSize:
        em = self.fontMetrics().height()
        return QSize(int(em * 4.5), int(em * 3.1))

    def minimumSizeHint(self) -> QSize:
        em = self.fontMetrics().height()
        return QSize(int(em * 3), int(em * 2.6))


class Dialpad(QWidget):
    """Twelve keys; ``digitPressed`` carries the key's character. With ``plus_on_hold`` (for
    dialling, not for tones during a call) holding 0 gives "+" instead of "0"."""

    digitPressed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, plus_on_hold: bool = False) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Dialpad"))
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(max(4, self.fontMetrics().height() // 3))
        self.buttons: dict[str, DialpadButton] = {}
        for index, (digit, letters) in enumerate(KEYS):
            button = DialpadButton(digit, letters, self)
            button.clicked.connect(lambda _=False, b=button: self._on_click(b))
            grid.addWidget(button, index // 3, index % 3)
            self.buttons[digit] = button
        if plus_on_hold:
            zero = self.buttons["0"]
            zero.enable_long_press(LONG_PRESS_MS)
            zero.longPressed.connect(lambda: self.digitPressed.emit("+"))
            zero.setToolTip(self.tr("Key 0 (hold for +)"))
        # Keys grow with the page up to their maximum, then the pad stops growing (no gaps).
        key = self.buttons["1"].maximumSize()
        gap = grid.spacing()
        self.setMaximumSize(key.width() * 3 + gap * 2, key.height() * 4 + gap * 3)

    def _on_click(self, button: DialpadButton) -> None:
        if not button.long_pressed:  # a long press already gave its "+"
            self.digitPressed.emit(button.digit)


class NumberField(QLineEdit):
    """Takes typing and pasting; what is not dialable goes at once (see ``clean_dial_text``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setClearButtonEnabled(True)
        for button in self.findChildren(QToolButton):  # the clear button Qt adds
            button.setAccessibleName(self.tr("Clear"))
        self.setInputMethodHints(Qt.InputMethodHint.ImhDialableCharactersOnly)
        set_text(self, Text.TITLE)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.textEdited.connect(self._clean)

    def insert_key(self, key: str) -> None:
        """A dialpad key: insert at the cursor, as if typed."""
        self.insert(key)
        self._clean(self.text())

    def _clean(self, text: str) -> None:
        cleaned = clean_dial_text(text)
        if cleaned == text:
            return
        # Keep the cursor after the same dialable characters it followed.
        before = clean_dial_text(text[: self.cursorPosition()])
        self.setText(cleaned)
        self.setCursorPosition(min(len(before), len(cleaned)))
