"""The call and hang-up buttons' style sheet (Call, Answer; Hang up, Decline), drawn with the
visual system's fills (``ui/look.py``): white text at 4.5:1 or more on each, the small shortcut
line included, light and dark alike; hover and pressed go darker, never lighter.

Everything else follows the system palette and ``look``'s state colours.
"""

from __future__ import annotations

from typing import Final

from softphone.ui.look import (
    CALL_GREEN,
    CALL_GREEN_DOWN,
    CALL_GREEN_HOVER,
    HANGUP_RED,
    HANGUP_RED_DOWN,
    HANGUP_RED_HOVER,
    ON_FILL,
)

# The buttons drawn on those fills: their second line (the shortcut) is drawn unfaded.
ACCENT_BUTTONS: Final = frozenset(
    {"callButton", "answerButton", "answerWaitingButton", "hangupButton", "declineButton"}
)
_GREEN, _GREEN_HOVER, _GREEN_DOWN = CALL_GREEN, CALL_GREEN_HOVER, CALL_GREEN_DOWN
# Call with nothing to call: the same green, faded into the window (light or dark), still labelled
_GREEN_FADED = "rgba(27, 128, 73, 0.35)"
_RED, _RED_HOVER, _RED_DOWN = HANGUP_RED, HANGUP_RED_HOVER, HANGUP_RED_DOWN

ACCENT_STYLE: Final = f"""
QPushButton#callButton, QPushButton#answerButton, QPushButton#answerWaitingButton {{
    background-color: {_GREEN}; color: {ON_FILL}; border: 2px solid {_GREEN};
    border-radius: 8px; padding: 4px 12px; font-weight: 600;
}}
QPushButton#callButton:hover, QPushButton#answerButton:hover,
QPushButton#answerWaitingButton:hover {{ background-color: {_GREEN_HOVER}; }}
QPushButton#callButton:pressed, QPushButton#answerButton:pressed,
QPushButton#answerWaitingButton:pressed {{ background-color: {_GREEN_DOWN}; }}
QPushButton#hangupButton, QPushButton#declineButton {{
    background-color: {_RED}; color: {ON_FILL}; border: 2px solid {_RED};
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
