"""The screenshot job: every screen and state rendered light and dark, at 1x and 2x device pixel
ratio, under Xvfb (xcb), as PNGs for a person to look at. ``$VICIFAST_SCREENSHOTS`` names the
output directory (default: pytest's temporary directory, never the repository)."""

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
from tests.ui.screenshot_render import SCREENS, SIZE, THEMES, WINDOW, file_name

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
RATIOS = (1, 2)


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), dtype=np.uint32).reshape(
        image.height(), image.bytesPerLine() // 4
    )
    return rows[:, : image.width()].copy()  # the image's buffer goes with the image


def _drawn_fraction(pixels: np.ndarray) -> float:
    """Share of the pixels that differ from the most common colour: 0 for a blank picture."""
    _colours, counts = np.unique(pixels, return_counts=True)
    return float(1.0 - counts.max() / pixels.size)


def _render(out: Path) -> dict[str, list[int]]:
    """Both ratios at once, each in one process on its own Xvfb (2x: a screen twice as big, so
    the windows fit as they do at 1x)."""
    with xvfb_env("1280x800x24") as env1, xvfb_env("2880x1800x24") as env2:
        command = [sys.executable, "-m", "tests.ui.screenshot_render", str(out)]
        runs = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for env in (env1, {**env2, "QT_SCALE_FACTOR": "2"})
        ]
        sizes: dict[str, list[int]] = {}
        for run in runs:
            try:
                stdout, stderr = run.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                run.kill()
                stdout, stderr = run.communicate()
            assert run.returncode == 0, stderr
            sizes.update(json.loads(stdout.strip().splitlines()[-1]))
    return sizes


def test_every_screen_renders_light_and_dark_at_1x_and_2x(tmp_path: Path) -> None:
    out = Path(os.environ.get("VICIFAST_SCREENSHOTS") or tmp_path / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    sizes = _render(out)
    expected = {file_name(s, t, r) for s in SCREENS for t in THEMES for r in RATIOS}
    assert set(sizes) == expected
    for screen in SCREENS:
        one_x = sizes[file_name(screen, "light", 1)]
        for ratio in RATIOS:
            themed = {}
            for theme in THEMES:
                name = file_name(screen, theme, ratio)
                image = QImage(str(out / name))
                assert not image.isNull(), name
                size = [image.width(), image.height()]
                assert size == sizes[name], name
                if screen in WINDOW:
                    assert size == [SIZE[0] * ratio, SIZE[1] * ratio], name
                # 2x: the same screen drawn twice as big (fonts may round a few pixels apart)
                assert all(
                    abs(a - b * ratio) <= 4 * ratio for a, b in zip(size, one_x, strict=True)
                ), name
                pixels = _pixels(image)
                drawn = _drawn_fraction(pixels)
                assert drawn > 0.005, f"{name} looks blank ({drawn:.1%} drawn)"
                themed[theme] = pixels
            light, dark = themed["light"], themed["dark"]
            assert light.shape != dark.shape or (light != dark).mean() > 0.2, (
                f"{screen} at {ratio}x looks the same light and dark"
            )
