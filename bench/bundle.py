"""The Linux bundle against the venv: size on disk and start-up, cold and warm, in one run.

``python -m bench.bundle [--runs 7] [--output bench/BUNDLE.md]``

Compares, for the same code:

* the **bundle**: `packaging/linux/build`'s .tar.gz (built first when dist/ has none), unpacked
  to a temporary folder, started as the .deb's launcher does;
* the **venv**: a runtime-only venv (`uv sync --no-dev --locked` into a temporary folder, as
  `scripts/run` makes it, bytecode compiled), started through its `vicifast-phone` script.

Sizes: the unpacked folder / the venv (`du`), the .tar.gz and the .deb. Start-up, each measured
``--runs`` times per side, alternating sides; "cold" runs come after the kernel's page cache was
dropped (`/proc/sys/vm/drop_caches`, root only; without it, cold is not measured), "warm" ones
straight after another run:

* ``--version``: the interpreter and the command line parser;
* ``qr scan --image``: plus OpenCV, zxing-cpp and the QR format (a tester's command);
* ``--demo`` to its window under Xvfb: spawn → a window titled "VICIfast Phone" is mapped
  (polled with xwininfo every 10 ms: the resolution of this number).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.report import cpu_model
from bench.stats import markdown_table

ROOT = Path(__file__).resolve().parents[1]
DROP_CACHES = Path("/proc/sys/vm/drop_caches")
WINDOW_TIMEOUT_S = 60.0


def _du_mib(path: Path) -> float:
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) / 1024


def _artifacts() -> tuple[Path, Path]:
    tars = sorted((ROOT / "dist").glob("vicifast-phone-*-linux-*.tar.gz"))
    debs = sorted((ROOT / "dist").glob("vicifast-phone_*.deb"))
    if not tars or not debs:
        subprocess.run(["bash", str(ROOT / "packaging" / "linux" / "build")], check=True)
        return _artifacts()
    return tars[-1], debs[-1]


def _runtime_venv(dest: Path) -> Path:
    uv = shutil.which("uv") or str(ROOT / ".tools" / "uv" / "bin" / "uv")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(dest), "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [uv, "sync", "--locked", "--quiet", "--no-dev", "--compile-bytecode",
         "--python", sys.executable, "--no-editable"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    return dest


def _can_drop_caches() -> bool:
    try:
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


@contextmanager
def _xvfb() -> Iterator[str]:
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            yield ":" + pipe.readline().strip()
    finally:
        proc.terminate()
        proc.wait(10)


def _window_up(display: str) -> bool:
    out = subprocess.run(
        ["xwininfo", "-root", "-tree"], check=False, env={**os.environ, "DISPLAY": display},
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    return '"VICIfast Phone' in out


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def _time_to_window(argv: list[str], env: dict[str, str], display: str) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*argv, "--demo"], env={**env, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        while not _window_up(display):
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} --demo exited {proc.returncode} before its window")
            if time.perf_counter() - start > WINDOW_TIMEOUT_S:
                raise RuntimeError(f"{argv[0]} --demo showed no window in {WINDOW_TIMEOUT_S} s")
            time.sleep(0.01)
        return time.perf_counter() - start
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(runs: int) -> str:
    tarball, deb = _artifacts()
    work = Path(tempfile.mkdtemp(prefix="vicifast-bench-bundle-"))
    try:
        with tarfile.open(tarball) as tar:
            tar.extractall(work / "bundle", filter="tar")
        (bundle_dir,) = (work / "bundle").iterdir()
        venv = _runtime_venv(work / "venv")
        sides = {"bundle": [str(bundle_dir / "vicifast-phone")],
                 "venv": [str(venv / "bin" / "vicifast-phone")]}  # fmt: skip
        home = work / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_DATA_HOME": str(home / ".local/share"), "XDG_CACHE_HOME": str(home / ".cache"),
                "XDG_STATE_HOME": str(home / ".local/state")}  # fmt: skip
        code = work / "code.png"
        subprocess.run(
            [*sides["venv"], "qr", "make", "--kind", "signin", "--company", "BENCH", "--out",
             str(code)], env=env, check=True, capture_output=True,
        )  # fmt: skip
        cold = _can_drop_caches()
        results: dict[tuple[str, str, str], list[float]] = {}
        with _xvfb() as display:
            probes: dict[str, Callable[[list[str]], float]] = {
                "--version": lambda argv: _timed([*argv, "--version"], env),
                "qr scan --image": lambda argv: _timed(
                    [*argv, "qr", "scan", "--image", str(code)], env
                ),
                "--demo → window": lambda argv: _time_to_window(argv, env, display),
            }
            for name, probe in probes.items():
                for argv in sides.values():
                    probe(argv)  # a first start, not counted: the files are read once
                for _ in range(runs):
                    for side, argv in sides.items():
                        if cold:
                            _can_drop_caches()
                            results.setdefault((name, side, "cold"), []).append(probe(argv))
                        results.setdefault((name, side, "warm"), []).append(probe(argv))
        sizes = {
            "bundle": _du_mib(bundle_dir),
            "venv": _du_mib(venv),
            "tar.gz": tarball.stat().st_size / 2**20,
            ".deb": deb.stat().st_size / 2**20,
        }
        return _report(sizes, results, runs, cold, tarball, deb)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _report(
    sizes: dict[str, float],
    results: dict[tuple[str, str, str], list[float]],
    runs: int,
    cold: bool,
    tarball: Path,
    deb: Path,
) -> str:
    rows = []
    for name in dict.fromkeys(key[0] for key in results):
        for kind in ("cold", "warm"):
            if (name, "bundle", kind) not in results:
                continue
            b = statistics.median(results[name, "bundle", kind]) * 1000
            v = statistics.median(results[name, "venv", kind]) * 1000
            rows.append([name, kind, f"{b:.0f} ms", f"{v:.0f} ms", f"{b / v:.2f}×"])
    commit = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()[:90]
    lines = [
        "# The Linux bundle against the venv: size and start-up",
        "",
        "Generated by `python -m bench.bundle` (see its docstring for the method). "
        "Medians of the runs; bundle ÷ venv in the last column.",
        "",
        markdown_table(
            ["", ""],
            [
                ["date", datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")],
                [
                    "run",
                    f"{runs} runs per side and measure, cold and warm alternating"
                    if cold
                    else f"{runs} warm runs per side (page cache could not be dropped)",
                ],
                ["CPU", f"{cpu_model()}, nproc = {os.cpu_count()}"],
                ["Python", platform.python_version()],
                ["artifacts", f"{tarball.name}, {deb.name}"],
                ["code under test", commit],
            ],
        ),
        "",
        "## Size on disk",
        "",
        markdown_table(
            ["what", "MiB"],
            [
                [
                    "bundle, unpacked (everything: Python, Qt, pjsua2, OpenCV)",
                    f"{sizes['bundle']:.0f}",
                ],
                [
                    "runtime venv (no dev tools; the interpreter is not in it)",
                    f"{sizes['venv']:.0f}",
                ],
                ["bundle .tar.gz", f"{sizes['tar.gz']:.0f}"],
                ["bundle .deb", f"{sizes['.deb']:.0f}"],
            ],
        ),
        "",
        "## Start-up",
        "",
        markdown_table(["command", "cache", "bundle", "venv", "bundle ÷ venv"], rows),
        "",
    ]
    return "\n".join(lines)


def summary(report: Path) -> str:
    """BUNDLE.md's tables, quoted in RESULTS.md's GUI section."""
    if not report.is_file():
        return "**The Linux bundle:** no BUNDLE.md yet (`python -m bench.bundle`)."
    text = report.read_text(encoding="utf-8")
    parts = []
    for section in text.split("\n## ")[1:]:
        title, body = section.split("\n", 1)
        parts.append(f"*{title}*\n{body.rstrip()}")
    return (
        "**The Linux bundle against the venv** (bench/bundle.py, a run of its own; "
        "[BUNDLE.md](BUNDLE.md)):\n\n" + "\n\n".join(parts)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "BUNDLE.md")
    args = parser.parse_args()
    report = measure(args.runs)
    args.output.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
