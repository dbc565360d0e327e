"""The README's first step on a machine without uv: scripts/bootstrap.sh run from a clean copy of
the repository, once with the OS's own Python (PEP 668 "externally managed") and once with another
installed interpreter (pyenv's here) first on PATH. Each must end with a working venv made from
that interpreter, uv in the project's private .tools/uv, and nothing installed into the
interpreter itself."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import softphone

ROOT = Path(__file__).resolve().parents[2]
_PYTHONS = ("python3.12", "python3.11", "python3")

pytestmark = pytest.mark.integration


def _clean_copy(dest: Path) -> Path:
    """The files a commit of the work tree would hold (a clone, of uncommitted work too)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        name = raw.decode()
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode & 0o777)
    return dest


def _path_with(interpreter: Path) -> str:
    """PATH with the interpreter's folder first, no uv anywhere, and no Python the bootstrap
    would try before it (it tries python3.12, then python3.11, then python3)."""
    first = interpreter.parent
    earlier = _PYTHONS[: _PYTHONS.index(interpreter.name)]
    kept = [str(first)]
    for entry in os.environ["PATH"].split(os.pathsep):
        folder = Path(entry)
        if not entry or folder == first or (folder / "uv").exists():
            continue
        if any((folder / name).exists() for name in earlier):
            continue  # e.g. pyenv's shims
        kept.append(entry)
    return os.pathsep.join(kept)


def _os_python() -> Path | None:
    for name in ("python3.12", "python3.11"):
        candidate = Path("/usr/bin") / name
        if candidate.exists():
            stdlib = subprocess.run(
                [candidate, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                check=True, capture_output=True, text=True,
            ).stdout.strip()  # fmt: skip
            if Path(stdlib, "EXTERNALLY-MANAGED").exists():
                return candidate
    return None


def _other_python() -> Path | None:
    """The interpreter this test venv was made from, when it is not the OS's."""
    base = Path(sys.base_prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}")
    return base if base.exists() and not str(base).startswith("/usr/bin") else None


def _bootstrap(tmp_path: Path, interpreter: Path) -> Path:
    repo = _clean_copy(tmp_path / "repo")
    path = _path_with(interpreter)
    assert subprocess.run(["sh", "-c", "command -v uv"], env={"PATH": path}).returncode != 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    result = subprocess.run(
        ["bash", "scripts/bootstrap.sh", "app"],
        cwd=repo, env={**env, "PATH": path}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return repo


def _check(repo: Path, interpreter: Path) -> None:
    assert (repo / ".tools" / "uv" / "bin" / "uv").exists(), "uv was not put in .tools/uv"
    cfg = dict(
        line.split(" = ", 1) for line in (repo / ".venv" / "pyvenv.cfg").read_text().splitlines()
    )
    assert Path(cfg["home"]).resolve() == interpreter.parent.resolve(), cfg
    version = subprocess.run(
        [repo / ".venv" / "bin" / "vicifast-phone", "--version"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    assert version == f"vicifast-phone {softphone.__version__}"
    # Nothing went into the interpreter itself.
    found = subprocess.run(
        [interpreter, "-c", "import importlib.util as u; print(u.find_spec('uv') is not None)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert found == "False", f"uv was installed into {interpreter}"


def test_the_bootstrap_works_with_the_os_python_and_no_uv(tmp_path: Path) -> None:
    interpreter = _os_python()
    if interpreter is None:
        pytest.skip("this machine has no PEP 668 OS Python 3.11/3.12 in /usr/bin")
    repo = _bootstrap(tmp_path, interpreter)
    _check(repo, interpreter)


def test_the_bootstrap_works_with_another_python_first_on_path_and_no_uv(tmp_path: Path) -> None:
    interpreter = _other_python()
    if interpreter is None:
        pytest.skip("this test venv was made from the OS Python: no other interpreter to try")
    assert not sysconfig.get_path("stdlib").startswith("/usr/lib")
    repo = _bootstrap(tmp_path, interpreter)
    _check(repo, interpreter)
