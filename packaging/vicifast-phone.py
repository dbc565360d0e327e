"""The bundles' entry point (PyInstaller runs this script; every platform's spec names it).

A frozen app has no ``python -m``: the app starts a few of its own modules as child processes
(the demo lines) with ``sys.executable -m MODULE``, so the bundle's executable accepts that form
for those modules only.
"""

from __future__ import annotations

import runpy
import sys

# The modules the app itself starts as ``sys.executable -m MODULE`` (grep the code for "-m").
CHILD_MODULES = frozenset({"softphone.cli", "softphone.demo.lines"})


def run() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "-m" and sys.argv[2] in CHILD_MODULES:
        module = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return
    from softphone.cli.command import main

    sys.exit(main())


if __name__ == "__main__":
    run()
