"""PySide6's look at every later import (softphone.ui.pyside_import): the same answer as
PySide6's own check, and no source lines kept in memory for it."""

from __future__ import annotations

import json
import linecache
import os
import sys
import wave
from pathlib import Path

import pytest

import softphone.ui  # noqa: F401  (puts the lighter check in place)
from softphone.ui import pyside_import
from softphone.ui.pyside_import import lighten


def test_later_imports_are_told_apart_as_pyside6_would_and_keep_no_source_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lighten()  # in place (again: a no-op)
    feature = sys.modules["shibokensupport.feature"]
    (tmp_path / "vicifast_probe_uses_qt.py").write_text("import PySide6.QtCore\nX = 1\n")
    (tmp_path / "vicifast_probe_plain.py").write_text("X = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    linecache.clearcache()
    try:
        # PySide6's hook is on the import statement (builtins.__import__)
        __import__("vicifast_probe_uses_qt")
        __import__("vicifast_probe_plain")
        features = feature.pyside_feature_dict
        assert features["vicifast_probe_uses_qt"] == 0  # uses PySide: feature switching on
        assert features["vicifast_probe_plain"] == -1  # ignored, as PySide6 itself decides
        assert not [name for name in linecache.cache if "vicifast_probe" in name]
    finally:
        for name in ("vicifast_probe_uses_qt", "vicifast_probe_plain"):
            sys.modules.pop(name, None)


def test_the_standard_library_is_told_apart_without_reading_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "No PySide6" for the standard library's modules, unread: true of every one of them
    # (checked here), and so the answer PySide6's own check gives them. Other modules are read.
    stdlib = Path(os.__file__).parent
    assert [p.name for p in stdlib.glob("*.py") if b"PySide6" in p.read_bytes()] == []
    uses_pyside = sys.modules["shibokensupport.feature"]._mod_uses_pyside
    read: list[str] = []
    real_read = Path.read_bytes

    def spied(path: Path) -> bytes:
        read.append(path.name)
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", spied)
    assert uses_pyside(json) is False
    assert uses_pyside(wave) is False
    assert read == []
    assert uses_pyside(pyside_import) is True
    assert read == ["pyside_import.py"]
