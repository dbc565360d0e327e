"""The desktop app's Qt widgets. PySide6's check of every later import is made lighter first
(:mod:`softphone.ui.pyside_import`)."""

from softphone.ui.pyside_import import lighten

lighten()
