"""A lighter PySide6 import hook.

Once PySide6 is loaded, it looks at the source of every module imported after it to learn
whether that module uses PySide (for its optional ``__feature__`` switches, which this app does
not use): through ``inspect.getsource``, which keeps every file's lines in ``linecache`` for
the life of the process. For the desktop app that is about 30 ms of its start and 9 MiB of its
memory (measured in ``bench/RESULTS.md``, GUI). :func:`lighten` swaps that check for one that
reads the file's bytes and keeps nothing, with the same answer (the standard library's
modules, which never name PySide6, are not read at all). ``softphone.ui`` puts it in
place when it is first imported, before any of its modules.
"""

from __future__ import annotations

import linecache
import os
import sys
from pathlib import Path
from types import ModuleType

_FEATURE_MODULE = "shibokensupport.feature"
_STDLIB = str(Path(os.__file__).parent) + os.sep  # where os.py is: the standard library
_PACKAGES = ("site-packages", "dist-packages")  # installed packages may sit under it


def lighten() -> bool:
    """Put the lighter check in place; False where this PySide6 has no such check. What the
    old one kept is dropped."""
    import PySide6.QtCore  # noqa: F401  (loads PySide6's import hook, if not loaded yet)

    feature = sys.modules.get(_FEATURE_MODULE)
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None:
        return False
    if getattr(original, "lightened", False):
        return True

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            if path.startswith(_STDLIB) and not path.startswith(_PACKAGES, len(_STDLIB)):
                return False  # the standard library never names PySide6: nothing to read
            try:
                return b"PySide6" in Path(path).read_bytes()
            except OSError:
                pass
        return bool(original(module))  # no source file of its own: as PySide6 decides

    uses_pyside.lightened = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
    linecache.clearcache()  # the lines kept for the modules checked so far
    return True
