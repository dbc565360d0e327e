"""The main window opens inside the screen, however large the scale factor (issue 18: at 2×
the 720×560 window, 1440×1120 pixels, ran off a 1600×1000 screen).

Each case runs in its own process: the scale factor and the screen are fixed when Qt starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_SHOW = """
import json, sys
from PySide6.QtWidgets import QApplication, QWidget
from softphone.core.bus import EventBus
from softphone.ui.main_window import MainWindow
app = QApplication(sys.argv)
window = MainWindow(EventBus(), QWidget(), [])
window.show()
app.processEvents()
free, frame = window.screen().availableGeometry(), window.frameGeometry()
print(json.dumps({
    "free": [free.x(), free.y(), free.width(), free.height()],
    "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
    "size": [window.width(), window.height()],
}))
"""


def _shown(tmp_path: Path, scale: str) -> dict[str, list[int]]:
    """The window as a 1600×1000 laptop screen at ``scale`` shows it."""
    screens = tmp_path / "screens.json"
    laptop = {"name": "laptop", "x": 0, "y": 0, "width": 1600, "height": 1000}
    screens.write_text(json.dumps({"screens": [{**laptop, "logicalDpi": 96, "dpr": 1}]}))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={screens}",
        "QT_SCALE_FACTOR": scale,
    }
    done = subprocess.run(
        [sys.executable, "-c", _SHOW],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    result: dict[str, list[int]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("scale", ["2", "1.75"])
def test_at_a_large_scale_the_window_fits_the_screen(tmp_path: Path, scale: str) -> None:
    shown = _shown(tmp_path, scale)
    x, y, width, height = shown["free"]
    fx, fy, fwidth, fheight = shown["frame"]
    assert x <= fx and y <= fy and fx + fwidth <= x + width and fy + fheight <= y + height
    assert shown["size"][0] <= 0.9 * width and shown["size"][1] <= 0.9 * height


def test_where_it_fits_the_window_keeps_its_usual_size(tmp_path: Path) -> None:
    assert _shown(tmp_path, "1")["size"] == [720, 560]
