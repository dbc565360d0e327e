"""What the first screen does not need is made on first use: the Provisioning tab when it is
first shown, the SIP engine (and pjsua2 with it) when the engine starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, cast

import pytest
from pytestqt.qtbot import QtBot

from softphone.app.options import FirstUseEngine
from softphone.core.models import EngineConfig
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.ui.main_window import FirstShownPage
from softphone.ui.provisioning.view import ProvisioningView
from tests.ui.app_kit import QuietEngine, app_maker


def test_the_provisioning_tab_is_built_when_first_shown(qtbot: QtBot, tmp_path: Path) -> None:
    with app_maker(qtbot, tmp_path, cast(Any, QuietEngine), tray=False) as make:
        app = make()
        app.window.show()
        qtbot.waitExposed(app.window)
        tab = app.window.page("Provisioning")
        assert isinstance(tab, FirstShownPage)
        assert app.window.findChild(ProvisioningView) is None  # the sign-in page is up
        app.window.stack.setCurrentWidget(app.window.tabs)
        app.window.show_page("Provisioning")
        built = tab.page
        assert isinstance(built, ProvisioningView) and built.isVisible()
        assert tab.build() is built  # built once


def test_a_page_that_fails_to_build_leaves_a_note_in_its_place(qtbot: QtBot) -> None:
    def broken() -> Any:
        raise RuntimeError("no")

    tab = FirstShownPage("Provisioning", broken)
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitExposed(tab)
    assert tab.page is not None and not isinstance(tab.page, ProvisioningView)


def test_the_sign_in_waits_for_a_service_made_after_the_window(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with app_maker(qtbot, tmp_path, cast(Any, QuietEngine), tray=False) as make:
        app = make(service_after_show=True)
        assert not hasattr(app, "service")  # not in App(): on a thread of its own
        assert not app.signin_view.sign_in_button.isEnabled()
        states: list[SessionState] = []
        app.bus.subscribe(SessionStateChanged, lambda e: states.append(e.state))
        app.start()
        qtbot.waitUntil(app.signin_view.sign_in_button.isEnabled, timeout=5000)
        assert app.window.isVisible()
        qtbot.waitUntil(lambda: SessionState.SIGNED_OUT in states, timeout=5000)  # resumed
        assert app.service.session.state is SessionState.SIGNED_OUT


def test_quitting_before_the_service_is_made_ends_cleanly(qtbot: QtBot, tmp_path: Path) -> None:
    with app_maker(qtbot, tmp_path, cast(Any, QuietEngine), tray=False) as make:
        app = make(service_after_show=True)
        app.start()
        app.quit()  # the service may be half made: the quit waits for it and closes it
        qtbot.waitUntil(lambda: app.stopped_cleanly is not None, timeout=15_000)
        assert app.stopped_cleanly is True


class _Recorded:
    made: ClassVar[list[tuple[Any, ...]]] = []

    def __init__(self, *args: Any) -> None:
        self.made.append(args)
        self.started = False

    def start(self) -> None:
        self.started = True


def test_the_engine_is_made_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    import softphone.sip.engine

    _Recorded.made = []
    monkeypatch.setattr(softphone.sip.engine, "SipEngine", _Recorded)
    config = EngineConfig()
    engine = FirstUseEngine(print, config, None)
    assert _Recorded.made == []  # nothing made, nothing of pjsua2 asked for
    engine.start()
    assert _Recorded.made == [(print, config, None)]
    assert engine.started is True
    assert len(_Recorded.made) == 1  # one engine, whatever is asked of it afterwards
