"""Help → About: the version the package reports, the SIP library once the engine says, and
Diagnostics… leading to the Settings page's export button (only where that page can be
reached)."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.core import events as ev
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.ui.about import AboutDialog
from softphone.ui.settings.view import SettingsView
from tests.ui.app_kit import QuietEngine, app_maker

WAIT = 5000


@pytest.fixture
def app(qtbot: QtBot, tmp_path: Path) -> Iterator[App]:
    with app_maker(
        qtbot, tmp_path, cast(Any, QuietEngine), tray=False, log_dir=tmp_path / "logs"
    ) as make:
        made = make()
        # not started: no resume racing the sessions the tests publish
        made.window.show()
        qtbot.waitExposed(made.window)
        yield made


def open_about(qtbot: QtBot, app: App) -> AboutDialog:
    app.window.about_action.trigger()  # Help → About VICIfast Desktop
    dialog = app.window.findChild(AboutDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def signed_in(app: App) -> None:
    app.bus.publish(SessionStateChanged(state=SessionState.REGISTERING))


def test_about_shows_the_version_the_package_reports_and_the_sip_library(
    qtbot: QtBot, app: App
) -> None:
    assert app.window.about_action in app.window.menuBar().actions()[-1].menu().actions()
    app.bus.publish(
        ev.Capabilities(
            platform="Linux x86_64",
            pjsua2_version="2.15.1.post1",
            pjsip_version="2.15.1",
            tls=True,
            tls_detail="",
            live_sip_trace=True,
            unhandled_501=True,
        )
    )
    dialog = open_about(qtbot, app)
    assert dialog.windowTitle() == "About VICIfast Desktop"
    version = importlib.metadata.version("vicifast-phone")
    assert dialog.version.text() == f"Version {version}"
    assert "PySide6" in dialog.built_on.text()
    assert "pjsua2 2.15.1.post1 (PJSIP 2.15.1)" in dialog.built_on.text()
    assert "keychain" in dialog.findChild(QLabel, "privacy").text()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)


def test_diagnostics_leads_to_the_settings_export_button(qtbot: QtBot, app: App) -> None:
    signed_in(app)
    app.window.show_page("Phone")
    settings = app.window.page("Settings")
    assert isinstance(settings, SettingsView)
    button = settings.export_button
    dialog = open_about(qtbot, app)
    diagnostics = dialog.diagnostics_button
    assert diagnostics.isEnabled()
    qtbot.mouseClick(diagnostics, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    assert app.window.tabs.currentWidget() is settings
    assert app.window.focusWidget() is button
    # scrolled to: the button is on screen, not below the fold of the long page
    qtbot.waitUntil(lambda: not button.visibleRegion().isEmpty(), timeout=WAIT)
    assert button.visibleRegion().boundingRect().height() == button.height()


def test_signed_out_the_diagnostics_button_says_sign_in_first(qtbot: QtBot, app: App) -> None:
    dialog = open_about(qtbot, app)
    assert not dialog.diagnostics_button.isEnabled()
    assert "Sign in first" in dialog.diagnostics_button.toolTip()
    assert not app.window.signed_in_view
