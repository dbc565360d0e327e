"""The screenshot job: every screen rendered light and dark under Xvfb (xcb), as PNGs for a
person to look at. ``$VICIFAST_SCREENSHOTS`` names the output directory (default: pytest's
temporary directory, never the repository)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from tests.support.xvfb import xvfb_env

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SCREENS = ("signin", "signin-error", "phone-idle", "phone-in-call", "incoming", "recents",
           "settings", "provisioning", "scan")  # fmt: skip
FULL = {
    "signin",
    "signin-error",
    "phone-idle",
    "phone-in-call",
    "recents",
    "settings",
    "provisioning",
}  # fmt: skip  (resized to the window's 720x560)


def _drawn_fraction(image: QImage) -> float:
    """Share of the pixels that differ from the most common colour: 0 for a blank picture."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), dtype=np.uint32).reshape(
        image.height(), image.bytesPerLine() // 4
    )
    pixels = rows[:, : image.width()]
    _colours, counts = np.unique(pixels, return_counts=True)
    return 1.0 - counts.max() / pixels.size


def test_every_screen_renders_light_and_dark(tmp_path: Path) -> None:
    out = Path(os.environ.get("VICIFAST_SCREENSHOTS") or tmp_path / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with xvfb_env() as env:
        render = subprocess.run(
            [sys.executable, "-m", "tests.ui.screenshot_render", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert render.returncode == 0, render.stderr
    sizes = json.loads(render.stdout.strip().splitlines()[-1])
    for screen in SCREENS:
        for theme in ("light", "dark"):
            name = f"{screen}-{theme}"
            path = out / f"{name}.png"
            assert path.is_file(), name
            image = QImage(str(path))
            assert [image.width(), image.height()] == sizes[name], name
            if screen in FULL:
                assert (image.width(), image.height()) == (720, 560), name
            drawn = _drawn_fraction(image)
            assert drawn > 0.02, f"{name} looks blank ({drawn:.1%} drawn)"
