"""GUI tests run offscreen unless QT_QPA_PLATFORM says otherwise."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
