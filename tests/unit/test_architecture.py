"""The layering rules of STYLE.md, enforced with import-linter's contracts in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken" in result.stdout


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _contract(type_: str, forbidden: str) -> dict[str, Any]:
    """The one contract of ``type_`` that names ``forbidden`` (and not core's own)."""
    (contract,) = [
        c
        for c in _contracts()
        if c["type"] == type_
        and forbidden in c.get("forbidden_modules", c.get("protected_modules", []))
        and c.get("source_modules") != ["softphone.core"]
    ]
    return contract


def test_every_contract_is_strict() -> None:
    """No contract lets a forbidden module be reached through another one."""
    assert [c["name"] for c in _contracts() if "allow_indirect_imports" in c] == []


def test_every_top_level_part_is_placed_by_the_contracts() -> None:
    # A contract only checks the modules it lists: a new part must be placed in each.
    parts = {
        f"softphone.{p.name}"
        for p in (ROOT / "softphone").iterdir()
        if (p / "__init__.py").exists()
    }
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    assert {name.strip() for layer in layers["layers"] for name in layer.split("|")} == parts
    roots = {
        "softphone.app",
        "softphone.cli",
        "softphone.headless",
        "softphone.demo",
        "softphone.load",
    }
    never_pjsua2 = set(_contract("forbidden", "pjsua2")["source_modules"])
    assert never_pjsua2 | roots | {"softphone.sip"} == parts
    qt_free = set(_contract("forbidden", "PySide6")["source_modules"])
    assert qt_free | {"softphone.ui", "softphone.app", "softphone.cli"} == parts
    pjsua2_importers = set(_contract("protected", "pjsua2")["allowed_importers"])
    assert pjsua2_importers == {"softphone.sip", "softphone.demo.lines"}
    assert set(_contract("protected", "PySide6")["allowed_importers"]) == {
        "softphone.ui",
        "softphone.app",
    }


def test_the_top_level_holds_packages_only() -> None:
    """Every part of ``softphone`` is a package that says what it is: no loose modules."""
    loose = {
        p.name
        for p in (ROOT / "softphone").iterdir()
        if p.suffix == ".py" and p.name not in ("__init__.py", "__main__.py")
    }
    assert loose == set(), loose
