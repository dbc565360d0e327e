"""The shared test bed of one benchmark run: a kamailio registrar/proxy, its users, a wire tap
on its UDP port, a sipp factory, and the copy of the code under test, all under one work
directory on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Literal, Self

from bench.wire import WireTap
from tests.support.kamailio import Kamailio
from tests.support.sipp import Sipp

PASSWORD = "bench-secret-42"  # every bench user has it; loopback only, nothing to protect
DOMAIN = "127.0.0.1"  # the AOR domain, as a VICIdial server addressed by IP
BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
SCENARIOS = BENCH_DIR / "sipp"
VENV_BIN = REPO / ".venv" / "bin"
# Everything the Python peers import, so one interpreter can fill the bytecode cache for all.
_PEER_IMPORTS = (
    "import softphone.cli, softphone.headless.agent, bench.engine_driver, pjsua2; pjsua2.Account"
)
CodeSource = Literal["head", "worktree"]
# Users 1001-1049 for single-account peers (one fresh user per peer and phase, so a stale
# contact of an earlier peer can never receive a later call), 2001-2008 for the limits run.
USERS = [str(u) for u in range(1001, 1050)] + [str(u) for u in range(2001, 2009)]


class Lab:
    def __init__(
        self, workdir: Path | None = None, *, keep: bool = False, code: CodeSource = "head"
    ) -> None:
        self.keep = keep or workdir is not None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="vicifast-bench-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.kamailio = Kamailio(self.workdir / "kamailio", users=dict.fromkeys(USERS, PASSWORD))
        self.sipp = Sipp(self.workdir / "sipp")
        self.tap: WireTap | None = None
        self.code_source = code
        self.code = self.workdir / "code"  # the copy of softphone/ every Python peer runs
        self.code_label = ""
        self._next_user = 0

    def start(self) -> Self:
        self.snapshot_code()
        self.warm_bytecode_cache()
        self.kamailio.start()
        self.tap = WireTap(self.kamailio.udp_port)
        return self

    def snapshot_code(self) -> None:
        """Copy softphone/ (as committed in HEAD, or the working tree as it is now) into the
        work directory: the peers import this copy, so edits made to the repository while the
        benchmark runs cannot mix two versions of the code into one report."""
        shutil.rmtree(self.code, ignore_errors=True)
        self.code.mkdir(parents=True)
        head = _git("log", "-1", "--format=%h %s")[:100]
        if self.code_source == "head":
            archive = subprocess.run(
                ["git", "archive", "--format=tar", "HEAD", "softphone"],
                cwd=REPO, capture_output=True, timeout=30, check=True,
            ).stdout  # fmt: skip
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(self.code, filter="data")
            self.code_label = f"softphone/ as committed in {head}"
        else:
            shutil.copytree(
                REPO / "softphone",
                self.code / "softphone",
                ignore=shutil.ignore_patterns("__pycache__"),
            )
            changed = _git("status", "--porcelain", "--", "softphone").splitlines()
            self.code_label = (
                f"the working tree's softphone/ ({len(changed)} path(s) differ from {head})"
                if changed
                else f"softphone/ as committed in {head} (working tree, clean)"
            )
        digest = hashlib.sha256()
        for path in sorted((self.code / "softphone").rglob("*.py")):
            digest.update(str(path.relative_to(self.code)).encode() + b"\0" + path.read_bytes())
        self.code_label += f"; sha256 of its .py files {digest.hexdigest()[:12]}"

    def python_env(self, *, bytecode_cache: bool = True) -> dict[str, str]:
        """Environment of a Python peer: the code copy first on sys.path (then the repository,
        for bench/ and tests/), and a bytecode cache or none (see below)."""
        return {"PYTHONPATH": f"{self.code}{os.pathsep}{REPO}", **self._cache_env(bytecode_cache)}

    def _cache_env(self, enabled: bool) -> dict[str, str]:
        # Where PYTHONDONTWRITEBYTECODE=1 is set and the venv ships no .pyc files, so a
        # plain start compiles every imported module of the venv and the project from source
        # (pjsua2's 570 kB SWIG module alone takes ~60 ms, and the compiler's garbage stays in
        # the heap). An installed app, or any machine without that variable, runs from cached
        # bytecode. Both caches live in the work directory (PYTHONPYCACHEPREFIX), never in the
        # repository or the venv: "pycache" holds everything, "pycache-stdlib" only the
        # standard library's (which a Python installation does ship compiled).
        if enabled:
            return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(self.dir("pycache"))}
        return {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(self.stdlib_cache)}

    @property
    def stdlib_cache(self) -> Path:
        return self.workdir / "pycache-stdlib"

    def warm_bytecode_cache(self) -> None:
        """Compile what the Python peers import once, so no measured start pays for it; then
        keep a copy with only the standard library's part, for the runs without a cache."""
        self.python(["-c", _PEER_IMPORTS])
        full = self.dir("pycache")
        shutil.rmtree(self.stdlib_cache, ignore_errors=True)
        stdlib = Path(sys.base_prefix).relative_to("/")
        shutil.copytree(full / stdlib, self.stdlib_cache / stdlib)

    def python(self, args: list[str]) -> str:
        """Run the venv's Python like a peer (code copy, bytecode cache); return its stdout."""
        out = subprocess.run(
            [str(VENV_BIN / "python"), *args],
            env={**os.environ, **self.python_env()},
            cwd=self.code, timeout=60, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return out.stdout

    def close(self) -> None:
        self.sipp.stop_all()
        if self.tap is not None:
            self.tap.close()
        self.kamailio.close()
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def wire(self) -> WireTap:
        assert self.tap is not None, "Lab.start() first"
        return self.tap

    @property
    def proxy_port(self) -> int:
        return self.kamailio.udp_port

    def new_user(self) -> str:
        user = USERS[self._next_user]
        if user.startswith("2"):
            raise RuntimeError("out of single-peer bench users")
        self._next_user += 1
        return user

    def dir(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def _git(*args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False
    )
    return out.stdout.strip()
