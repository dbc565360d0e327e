"""GUI tests run offscreen unless QT_QPA_PLATFORM says otherwise."""

from __future__ import annotations

import ctypes
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

if sys.version_info < (3, 12):
    # PySide6 6.12.0's abi3 wheel on CPython 3.11 drops a reference to True on every
    # SignalInstance.emit() and to None on every call of a void method (see
    # test_pyside_keeps_refcounts in test_history_model.py). CPython 3.11 does not make them
    # immortal, so after a few hundred emits the interpreter aborts ("bool_dealloc"). This list
    # of references is leaked on purpose (never freed, not even at exit) so the GUI tests can
    # run; the app itself needs a PySide6 without the bug.
    _ballast = [True, False, None] * 2_000_000
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(_ballast))
