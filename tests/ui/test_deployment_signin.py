"""The app with deployment defaults (vicifast-phone.ini): the sign-in form starts with IT's
company code and custom control plane; what the person saved earlier wins. And the macOS app
bundle: links it is opened with (QFileOpenEvent) reach the app like a second start's argv, and
Settings says the bundle handles them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from softphone.app import App
from softphone.app.links import OpenedLinks
from softphone.audio.backend import NullBackend
from softphone.audio.controller import AudioController
from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.secret import Secret
from softphone.core.session_events import SessionState
from softphone.core.session_store import KEY_COMPANY, KEY_USERNAME
from softphone.desktop import deployment
from softphone.desktop.autostart import XdgAutostart
from softphone.desktop.link_handler import MAC_BUNDLE_REASON, BundleLinkHandler
from softphone.storage.settings import AppSettings
from softphone.ui.bridge import QtBridge
from softphone.ui.diagnostics import Diagnostics
from softphone.ui.settings.view import SettingsView
from tests.ui.app_kit import QuietEngine, app_maker
from tests.unit.history_kit import MemorySecrets

WAIT = 5000
PLANE = "https://control.acme.example"


@pytest.fixture
def make_app(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., App]]:
    with app_maker(
        qtbot, tmp_path, cast(Any, QuietEngine), tray=False, log_dir=tmp_path / "logs"
    ) as make:
        yield make


@pytest.fixture
def deployed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> deployment.DeploymentDefaults:
    """IT's file, found the way the app looks for it (the variable stands for the install)."""
    path = tmp_path / "it" / deployment.FILE_NAME
    path.parent.mkdir()
    path.write_text(
        f"[defaults]\ncompany_code = ACME\ncontrol_plane = {PLANE}\nca_file = acme-ca.pem\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(deployment.ENV_VAR, str(path))
    return deployment.load_defaults()


def signed_out(qtbot: QtBot, app: App) -> None:
    app.start()
    qtbot.waitUntil(lambda: app.service.session.state is SessionState.SIGNED_OUT, timeout=WAIT)


def test_a_first_start_shows_the_deployment_company_and_custom_control_plane(
    qtbot: QtBot, make_app: Callable[..., App], deployed: deployment.DeploymentDefaults
) -> None:
    app = make_app(deployment=deployed)
    signed_out(qtbot, app)
    view = app.signin_view
    qtbot.waitUntil(lambda: view.company.text() == "ACME", timeout=WAIT)
    assert view.username.text() == ""
    assert view.custom_plane.isChecked()
    assert view.control_plane.text() == PLANE
    assert deployed.source is not None
    assert view.ca_file.text() == str(deployed.source.parent / "acme-ca.pem")
    assert view.control_plane.isEnabled() and not view.advanced.isHidden()


def test_what_the_person_saved_wins_over_the_deployment_file(
    qtbot: QtBot,
    make_app: Callable[..., App],
    deployed: deployment.DeploymentDefaults,
    tmp_path: Path,
) -> None:
    store = MemorySecrets()  # a sign-in saved earlier, its password since deleted
    store.set(KEY_COMPANY, Secret("MINE"))
    store.set(KEY_USERNAME, Secret("me"))
    (tmp_path / "settings.json").write_text(
        '{"custom_control_plane": "https://mine.example", "ca_file": ""}', encoding="utf-8"
    )
    app = make_app(deployment=deployed, store=store)
    signed_out(qtbot, app)
    view = app.signin_view
    qtbot.waitUntil(lambda: view.company.text() == "MINE", timeout=WAIT)
    assert view.username.text() == "me"
    assert view.custom_plane.isChecked()
    assert view.control_plane.text() == "https://mine.example"
    assert view.ca_file.text() == ""


def test_without_a_deployment_file_the_form_starts_empty(
    qtbot: QtBot, make_app: Callable[..., App]
) -> None:
    app = make_app()
    signed_out(qtbot, app)
    view = app.signin_view
    assert view.company.text() == "" and not view.custom_plane.isChecked()
    assert view.control_plane.text() == ""


# ---- links from the macOS app bundle -----------------------------------------------------------


@pytest.fixture
def opened(qtbot: QtBot) -> Iterator[OpenedLinks]:
    qapp = QApplication.instance()
    assert qapp is not None
    links = OpenedLinks(qapp)
    yield links
    qapp.removeEventFilter(links)
    links.deleteLater()


def open_url(url: str) -> bool:
    qapp = QApplication.instance()
    return QCoreApplication.sendEvent(qapp, QFileOpenEvent(QUrl(url)))


def test_a_link_that_started_the_app_waits_for_it_then_each_is_delivered(
    qtbot: QtBot, opened: OpenedLinks
) -> None:
    got: list[list[str]] = []
    assert open_url("tel:+1%20555%200100")  # before the app is built: kept
    qtbot.wait(20)
    opened.deliver_to(got.append)
    qtbot.waitUntil(lambda: got == [["tel:+1 555 0100"]], timeout=WAIT)
    assert open_url("sip:100@pbx.example.com")
    assert len(got) == 1  # after the event, not inside the filter
    qtbot.waitUntil(lambda: got[-1] == ["sip:100@pbx.example.com"], timeout=WAIT)


def test_files_and_mangled_numbers_are_not_dialled(qtbot: QtBot, opened: OpenedLinks) -> None:
    got: list[list[str]] = []
    opened.deliver_to(got.append)
    qapp = QApplication.instance()
    assert not QCoreApplication.sendEvent(qapp, QFileOpenEvent("/tmp/notes.txt"))
    assert open_url("callto://5551234")  # Qt makes it callto://0.84.191.2: swallowed
    qtbot.wait(50)
    assert got == []


def test_a_link_from_the_bundle_is_confirmed_then_dialled_like_a_second_start(
    qtbot: QtBot, make_app: Callable[..., App], opened: OpenedLinks
) -> None:
    asked: list[str] = []
    app = make_app(confirm=lambda parent, text: asked.append(text) or True)
    signed_out(qtbot, app)
    opened.deliver_to(app.handle_argv)
    app.window.hide()
    app.bus.publish(
        ev.RegistrationChanged(account_id="session", state=ev.RegistrationState.REGISTERED)
    )
    assert open_url("callto:555-1234")
    qtbot.waitUntil(lambda: asked == ["Call 5551234?"], timeout=WAIT)
    assert app.window.isVisible()
    engine = app.engine.current
    assert isinstance(engine, QuietEngine)
    assert ("make_call", "session", "5551234") in engine.calls


def test_settings_shows_the_links_handled_by_the_bundle(
    qtbot: QtBot, bridge: QtBridge, tmp_path: Path
) -> None:
    audio = AudioController(NullBackend(), AudioRings.create(), lambda event: None)
    try:
        view = SettingsView(
            audio,
            AppSettings(),
            bridge,
            settings_path=tmp_path / "settings.json",
            autostart=XdgAutostart(["/usr/bin/vicifast-phone"], config_home=tmp_path / "xdg"),
            link_handler=BundleLinkHandler(),
            diagnostics=Diagnostics(tmp_path / "logs", lambda: []),
        )
        qtbot.addWidget(view)
        assert view.open_links.isChecked() and not view.open_links.isEnabled()
        assert view.open_links.toolTip() == MAC_BUNDLE_REASON
        assert view.open_links.accessibleDescription() == MAC_BUNDLE_REASON
    finally:
        audio.close()
