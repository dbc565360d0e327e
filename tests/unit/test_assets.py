"""The icon files: every path the loader gives exists, the ICO and ICNS containers hold what they
declare, and the committed generated files are what ``resources/build-icons`` makes now."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from softphone.desktop import assets

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ICO_SIZES = (16, 24, 32, 48, 64, 256)
ICNS_TYPES = (
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG must start with."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    assert kind == b"IHDR" and length == 13
    return width, height


def loaded_paths() -> list[Path]:
    return [
        assets.app_icon_svg(),
        assets.app_icon_ico(),
        assets.app_icon_icns(),
        *(assets.app_icon_png(size) for size in assets.PNG_SIZES),
        *(assets.tray_icon_svg(status) for status in assets.TRAY_STATUSES),
    ]


def test_every_path_the_loader_gives_exists() -> None:
    for path in loaded_paths():
        assert path.is_file(), path
    for size in assets.PNG_SIZES:
        assert png_size(assets.app_icon_png(size).read_bytes()) == (size, size)


def test_the_loader_refuses_sizes_and_statuses_it_has_no_file_for() -> None:
    with pytest.raises(ValueError, match="no 20 px app icon"):
        assets.app_icon_png(20)
    with pytest.raises(ValueError, match="no tray icon for 'busy'"):
        assets.tray_icon_svg("busy")


def test_an_installed_resources_folder_wins_over_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "softphone"
    monkeypatch.setattr(assets, "_PACKAGE", package)
    with pytest.raises(FileNotFoundError, match=r"icons are missing.*Reinstall"):
        assets.resources_dir()
    (tmp_path / "resources").mkdir()  # a source checkout
    assert assets.resources_dir() == tmp_path / "resources"
    (package / "resources").mkdir(parents=True)  # a wheel or a PyInstaller bundle
    assert assets.resources_dir() == package / "resources"
    assert assets.app_icon_ico() == package / "resources" / "icons" / "vicifast-phone.ico"


def test_the_ico_holds_a_png_of_each_size_it_declares() -> None:
    data = assets.app_icon_ico().read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, len(ICO_SIZES))
    end = 6 + 16 * count
    for index, size in enumerate(ICO_SIZES):
        entry = struct.unpack("<BBBBHHII", data[6 + 16 * index : 6 + 16 * (index + 1)])
        width, height, colors, zero, planes, bits, length, offset = entry
        assert (width or 256, height or 256) == (size, size)  # 0 means 256
        assert (colors, zero, planes, bits) == (0, 0, 1, 32)
        assert offset == end, "images follow the directory, in order, without gaps"
        assert png_size(data[offset : offset + length]) == (size, size)
        end = offset + length
    assert end == len(data)


def test_the_icns_holds_a_png_of_each_type_at_its_size() -> None:
    data = assets.app_icon_icns().read_bytes()
    magic, total = struct.unpack(">4sI", data[:8])
    assert magic == b"icns" and total == len(data)
    found = []
    offset = 8
    while offset < len(data):
        kind, length = struct.unpack(">4sI", data[offset : offset + 8])
        assert length > 8 and offset + length <= len(data)
        width, height = png_size(data[offset + 8 : offset + length])
        found.append((kind, width))
        assert height == width
        offset += length
    assert tuple(found) == ICNS_TYPES


def test_the_committed_files_are_what_build_icons_makes_now(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "resources" / "build-icons"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert built, "build-icons wrote nothing"
    stale = [
        str(name)
        for name in built
        if not (ICONS / name).is_file()
        or (ICONS / name).read_bytes() != (tmp_path / name).read_bytes()
    ]
    assert not stale, (
        f"resources/icons differs from what resources/build-icons makes now: {stale}. "
        "Run `.venv/bin/python resources/build-icons` and commit what it writes."
    )
    committed_pngs = sorted(p.relative_to(ICONS) for p in (ICONS / "png").iterdir())
    assert committed_pngs == [name for name in built if name.parts[0] == "png"]
