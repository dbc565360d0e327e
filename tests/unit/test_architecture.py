"""The layering rules of STYLE.md, enforced with import-linter's contracts in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken" in result.stdout


def _contract_sources(name: str) -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"] == name]
    return set(contract["source_modules"])


def test_every_top_level_part_is_named_by_the_layering_contracts() -> None:
    # A forbidden-import contract only checks the modules it lists: a new part must be added.
    parts = {
        f"softphone.{p.stem}"
        for p in (ROOT / "softphone").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    no_pjsua2 = _contract_sources("only softphone.sip imports pjsua2")
    no_qt = _contract_sources("only softphone.ui and softphone.app import PySide6")
    assert parts - {"softphone.sip"} <= no_pjsua2, parts - {"softphone.sip"} - no_pjsua2
    assert parts - {"softphone.ui", "softphone.app"} <= no_qt, (
        parts - {"softphone.ui", "softphone.app"} - no_qt
    )


def test_the_top_level_holds_packages_only() -> None:
    """Every part of ``softphone`` is a package that says what it is; ``app.py``, the
    composition root, is the one module left to split into one."""
    loose = {
        p.name
        for p in (ROOT / "softphone").iterdir()
        if p.suffix == ".py" and p.name not in ("__init__.py", "__main__.py")
    }
    assert loose == {"app.py"}, loose
