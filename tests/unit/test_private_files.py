"""What the app writes under the user's data, config, state and log folders is the owner's only:
folders 0700, files 0600, whatever the umask; the app's own folders an older version made wider
are tightened, folders above them are not (issue 14)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.signin.service import load_install_ids
from softphone.storage.private_files import open_private, private_dir, private_file
from softphone.storage.settings import AppSettings

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


@pytest.fixture(autouse=True)
def _desktop_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what a desktop session usually has: files 0644 unless told
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_missing_folders_are_made_0700(tmp_path: Path) -> None:
    target = tmp_path / "state" / "vicifast-desktop" / "log"
    assert private_dir(target) == target
    assert [mode(p) for p in (tmp_path / "state", target.parent, target)] == [0o700] * 3


def test_only_the_apps_own_folders_are_tightened(tmp_path: Path) -> None:
    target = tmp_path / "state" / "vicifast-desktop" / "log"
    target.mkdir(parents=True)
    for folder in (tmp_path / "state", target.parent, target):
        folder.chmod(0o755)
    private_dir(target, owned_from="vicifast-desktop")
    assert (mode(target), mode(target.parent)) == (0o700, 0o700)
    assert mode(tmp_path / "state") == 0o755  # the XDG base folder is not ours to change
    other = tmp_path / "elsewhere" / "logs"
    other.mkdir(parents=True)
    (tmp_path / "elsewhere").chmod(0o755)
    other.chmod(0o755)
    private_dir(other, owned_from="vicifast-desktop")  # no such ancestor: only the folder
    assert (mode(other), mode(tmp_path / "elsewhere")) == (0o700, 0o755)


def test_a_narrower_folder_is_left_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir(mode=0o500)
    private_dir(tmp_path / "x")
    assert mode(tmp_path / "x") == 0o500


def test_open_private_creates_0600_and_narrows_an_existing_file(tmp_path: Path) -> None:
    new = tmp_path / "new"
    os.close(open_private(new))
    assert mode(new) == 0o600
    old = tmp_path / "old"
    old.write_text("before")
    old.chmod(0o644)
    with os.fdopen(open_private(old), "w") as out:
        assert mode(old) == 0o600  # before anything is written
        out.write("after")
    assert old.read_text() == "after"
    private_file(tmp_path / "missing")  # nothing to do, no error


def test_settings_are_saved_0600_in_a_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "config" / "vicifast-desktop" / "settings.json"
    AppSettings().with_(sip_trace=True).save(path)
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)
    path.parent.chmod(0o755)  # an older version's folder and file
    path.chmod(0o644)
    assert AppSettings.load(path).sip_trace  # reading it is enough
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)
    path.parent.chmod(0o755)
    AppSettings().save(path)
    assert mode(path.parent) == 0o700


def test_install_ids_are_0600_in_a_0700_folder(tmp_path: Path) -> None:
    folder = tmp_path / "share" / "vicifast-desktop"
    ids = load_install_ids(folder)
    path = folder / "install.json"
    assert json.loads(path.read_text())["install_id"] == ids.install_id
    assert (mode(path), mode(folder)) == (0o600, 0o700)
    folder.chmod(0o755)
    assert load_install_ids(folder) == ids  # read again: the folder is tightened all the same
    assert mode(folder) == 0o700
