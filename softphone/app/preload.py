"""The first window's Qt-free modules, imported on a thread while the main thread loads Qt.

Loading PySide6's libraries leaves the interpreter free for much of its time (the dynamic
linker's work and the files' reading), and on a machine with a second core a thread can
import meanwhile what the first window needs apart from Qt: its settings, the deployment file's
reader, the event bus and its events, the sign-in's configuration and events. The main thread
then finds them imported, or waits for the one under way; the window comes up sooner by what
the thread took off it (``bench/RESULTS.md``, GUI).

The modules here must not import Qt, nor anything the main thread imports on its way to them
(an import-order cycle between the two threads would stall both): a test keeps them Qt-free.
A module that fails here is left to the main thread, which imports it again and says why.
"""

from __future__ import annotations

import threading

FIRST_WINDOW_MODULES = (
    "softphone.storage.settings",  # the theme, the window's size, the voice processing's choice
    "softphone.desktop.deployment",  # IT's defaults: the control plane the form shows
    "softphone.signin.config",
    "softphone.core.bus",  # with the events the window subscribes to
    "softphone.core.session_events",
    "softphone.core.executor",
    "softphone.core.retry",
    "softphone.core.secret",
    "softphone.desktop.sleep",  # the connection log's "computer slept" line
    "softphone.desktop.assets",
    "concurrent.futures.thread",  # the bridge's pool
    "getpass",  # the single-instance server's name
    "selectors",  # the quit signal's wake-up socket
    "signal",
)


def begin(modules: tuple[str, ...] = FIRST_WINDOW_MODULES) -> threading.Thread:
    """Start importing ``modules`` on a thread of their own; returns it (nobody needs to wait)."""
    thread = threading.Thread(target=_import_all, args=(modules,), name="preload", daemon=True)
    thread.start()
    return thread


def _import_all(modules: tuple[str, ...]) -> None:
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: S112  (the main thread imports it again and says why)
            continue
