"""The wheel an installer would ship: every file of the app's package, its data files (the
top-level ``resources/`` as ``softphone/resources``), one entry point, and nothing of the
repository's benchmarks or tests."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from softphone.desktop import assets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # hatchling from the dev group: builds offline, unlike `uv build`'s isolated environment.
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (built,) = out.glob("vicifast_phone-*.whl")
    return zipfile.ZipFile(built)


def _tracked(prefix: str) -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", prefix], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    return {name for name in listed if (ROOT / name).is_file()}


def test_the_wheel_holds_every_file_of_the_package_and_its_data(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    missing = _tracked("softphone") - names
    assert not missing, f"files of softphone/ missing from the wheel: {sorted(missing)}"
    for data in ("softphone/emulator/kamailio.cfg", "softphone/emulator/demo_seed.toml"):
        assert data in names


def test_the_wheel_holds_the_icons_as_softphone_resources(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    root = assets.resources_dir()
    loaded = [
        assets.app_icon_svg(),
        assets.app_icon_ico(),
        assets.app_icon_icns(),
        *(assets.app_icon_png(size) for size in assets.PNG_SIZES),
        *(assets.tray_icon_svg(status) for status in assets.TRAY_STATUSES),
    ]
    icons = {f"softphone/resources/{path.relative_to(root).as_posix()}" for path in loaded}
    tracked = {f"softphone/{name}" for name in _tracked("resources")}
    missing = (icons | tracked) - names
    assert not missing, f"files of resources/ missing from the wheel: {sorted(missing)}"


def test_the_wheel_holds_nothing_but_the_package(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    packages = {top for top in tops if not top.endswith(".dist-info")}
    assert packages == {"softphone"}, f"unexpected top-level entries in the wheel: {sorted(tops)}"
    assert not [n for n in wheel.namelist() if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_declares_the_command_and_the_python_range(wheel: zipfile.ZipFile) -> None:
    dist_info = next(n.split("/", 1)[0] for n in wheel.namelist() if ".dist-info/" in n)
    entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    assert "vicifast-phone = softphone.cli:main" in entry_points
    metadata = wheel.read(f"{dist_info}/METADATA").decode()
    (requires,) = [line for line in metadata.splitlines() if line.startswith("Requires-Python:")]
    assert set(requires.split(":", 1)[1].strip().split(",")) == {">=3.11", "<3.13"}
