"""Which modules a start path imports, and who imported each: run in a fresh interpreter.

``python -m tests.support.import_probe REPORT agent ARGS...`` runs ``vicifast-phone agent
ARGS`` until it is registered and writes to REPORT (JSON) the modules in ``sys.modules`` when
the agent hears its REGISTER's 200 OK, with, for each module, who imported it first.
``python -m tests.support.import_probe REPORT app`` takes the desktop app's start path up to
its first window (``softphone.cli``, ``run``'s module, and the sign-in window shown as ``run``
shows it) and reports what that loaded; ``app-built`` goes on to build the app behind that
window (every page, the tray, the history opened) and reports once the history's thread has
run what the build queued for it.

The recorder is a meta-path finder that only looks (it finds nothing): for each module's
first import it notes the innermost frame outside the import system, "module" or
"module:function" for an import inside a function. The probe itself imports next to nothing
before the recorder is in place (not even ``typing``), so that what is reported is the path's.
"""

from __future__ import annotations

import importlib.machinery
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import FrameType, ModuleType
    from typing import Any

_IMPORT_MACHINERY = ("<frozen importlib", importlib.__file__ or "importlib")


def _importer(frame: FrameType | None) -> str:
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_IMPORT_MACHINERY) and filename != __file__:
            module = str(frame.f_globals.get("__name__", "?"))
            function = frame.f_code.co_name
            return module if function == "<module>" else f"{module}:{function}"
        frame = frame.f_back
    return "?"


class ImportRecorder:
    """Notes who imported each module first; ``after(name, patch)`` runs ``patch(module)`` once
    the module ``name`` has been executed."""

    def __init__(self) -> None:
        self.importers: dict[str, str] = {}
        self._patches: dict[str, Callable[[ModuleType], None]] = {}

    def after(self, name: str, patch: Callable[[ModuleType], None]) -> None:
        self._patches[name] = patch

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        self.importers.setdefault(fullname, _importer(sys._getframe(1)))
        patch = self._patches.pop(fullname, None)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader: Any = spec.loader
        exec_module = loader.exec_module

        def exec_then_patch(module: ModuleType) -> None:
            exec_module(module)
            patch(module)

        loader.exec_module = exec_then_patch
        return spec

    def report(self, modules: Sequence[str]) -> dict[str, str]:
        """Who imported each of ``modules`` (those blocked with None in ``sys.modules`` are
        not loaded: left out)."""
        loaded = [name for name in modules if sys.modules.get(name) is not None]
        return {name: self.importers.get(name, "(before the probe)") for name in sorted(loaded)}


def _write(out: str, report: dict[str, str]) -> None:
    import json

    with open(out, "w", encoding="utf-8") as file:
        json.dump(report, file)


def _probe_agent(recorder: ImportRecorder, out: str, argv: list[str]) -> int:
    taken: list[bool] = []

    def patch(agent_module: ModuleType) -> None:
        agent_class = agent_module.HeadlessAgent
        on_registration = agent_class._on_registration

        def snapshot_when_registered(self: Any, event: Any) -> None:
            registered = str(event.state) == "registered" and not taken
            if registered:  # what the agent loaded by the time it hears the 200 OK
                taken.append(True)
                _write(out, recorder.report(list(sys.modules)))
            on_registration(self, event)
            if registered:
                self.stop_soon()

        agent_class._on_registration = snapshot_when_registered

    recorder.after("softphone.headless.agent", patch)
    from softphone.cli import main

    sys.argv = ["vicifast-phone", "agent", *argv]
    code = main()  # as the console script calls it (the process hardened first)
    if not taken:
        print(f"import_probe: the agent never registered (exit {code})", file=sys.stderr)
        return 1
    return 0


def _probe_app(recorder: ImportRecorder, out: str, *, built: bool = False) -> int:
    """Up to the first window shown, as ``run`` shows it (its options in a temporary home);
    ``built``: and the app behind it built."""
    import importlib
    import tempfile
    from pathlib import Path

    importlib.import_module("softphone.cli")  # first, as the console script
    process = importlib.import_module("softphone.app.process")  # what main's ``run`` is in
    from PySide6.QtWidgets import QApplication

    from softphone.app.first_window import FirstWindow
    from softphone.app.options import AppOptions
    from softphone.core.secret import MemorySecretStore
    from softphone.signin.config import SignInConfig

    qapp = QApplication([sys.argv[0]])
    with tempfile.TemporaryDirectory(prefix="vicifast-probe-") as home:
        options = AppOptions(
            data_dir=Path(home, "data"),
            settings_path=Path(home, "settings.json"),
            store=MemorySecretStore(),
            device_id="probe",
            signin=SignInConfig(),
            instance=f"vicifast-import-probe-{home[-8:]}",
            tray=False,
        )
        first = FirstWindow(options)
        first.show()
        qapp.processEvents()
        assert process.run is not None and first.window.isVisible()
        if built:
            from softphone.app.root import App

            app = App(options, first=first)
            app.history.submit(lambda _store: None).result(10)
            qapp.processEvents()
        _write(out, recorder.report(list(sys.modules)))
        if built:
            app.history.stop()
        first.window.close()
    return 0


def main(argv: list[str]) -> int:
    recorder = ImportRecorder()
    sys.meta_path.insert(0, recorder)
    out, what, rest = argv[0], argv[1], argv[2:]
    if what == "agent":
        return _probe_agent(recorder, out, rest)
    if what in ("app", "app-built"):
        return _probe_app(recorder, out, built=what == "app-built")
    raise SystemExit(f"import_probe: unknown start path {what!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
