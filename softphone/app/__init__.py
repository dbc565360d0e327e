"""The desktop app (``vicifast-phone``): Qt's side of the house, where every part is built and
wired together.

- ``root``: :class:`App`, the composition root, which starts and stops everything;
- ``options``: :class:`AppOptions`, what the app is made with (a real start's, or ``--demo``'s);
- ``process``: :func:`run`, the process from Qt's set-up to its end, bounded at quit;
- ``engine``: the SIP engine as the app uses it (account adaptation, transport information);
- ``signin``: the network watch and QR codes; ``links``: links to dial and dialling;
- ``pages``: the window's pages and their wiring; ``settings_sync``: settings saved and applied;
- ``sound``: the sound devices at start; ``quitting``: what quit stops in the background;
- ``diagnostics``: the secrets a diagnostics zip must not contain; ``demo_ring``: "Ring me".
"""

from __future__ import annotations

import sys

if "httpx" not in sys.modules:
    # httpx's package imports its command-line client, and with it click, rich and pygments
    # when they are installed: tens of ms before the window, for a tool the app never runs.
    # None here makes that import fail the way httpx expects when they are missing.
    sys.modules["httpx._main"] = None  # type: ignore[assignment]

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from softphone.app.options import AppOptions
    from softphone.app.process import run
    from softphone.app.root import App

__all__ = ["App", "AppOptions", "run"]
_HOMES = {
    "App": "softphone.app.root",
    "AppOptions": "softphone.app.options",
    "run": "softphone.app.process",
}


def __getattr__(name: str) -> Any:
    """Each name from its module when first asked for: ``run`` shows the window before the
    app behind it (``root``, which imports nearly everything) is imported."""
    import importlib

    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
