"""Translations: the English base catalogue is current with the code, every text on the main
screens goes through a catalogue, and ``install_translator`` picks the user's language."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTranslator
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTabBar,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from softphone.audio.backend import NullBackend
from softphone.audio.controller import AudioController
from softphone.audio.ring import AudioRings
from softphone.core import events as ev
from softphone.core.bus import EventBus
from softphone.core.session_events import SessionState, SessionStateChanged
from softphone.storage.history import HistoryWriter, Outcome
from softphone.storage.settings import AppSettings
from softphone.ui.bridge import QtBridge
from softphone.ui.i18n import TRANSLATIONS_DIR, install_translator
from softphone.ui.main_window import MainWindow
from softphone.ui.phone.dialpad import KEYS, TwoLineButton
from softphone.ui.phone.incoming_call import IncomingCallWindow
from softphone.ui.phone.view import PhoneView
from softphone.ui.provisioning.view import ProvisioningView
from softphone.ui.recents.model import HistoryModel
from softphone.ui.recents.view import RecentsView
from softphone.ui.settings.view import SettingsView
from softphone.ui.signin.view import SignInView
from softphone.ui.tray import Tray
from tests.ui.phone_fakes import FakePhone, incoming, state
from tests.unit.history_kit import MemorySecrets, call

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BASE = TRANSLATIONS_DIR / "vicifast_en.ts"
# As scripts/update-translations runs it.
SOURCES = ("softphone/ui", "softphone/app")
LUPDATE = [str(BIN / "pyside6-lupdate"), "-silent", "-extensions", "py", "-locations", "none"]
OPEN, CLOSE = "⟦", "⟧"
# Shown as they are in every language: phone-keypad letters, and the tests' made-up data.
NOT_WORDS = {
    text for digit, letters in KEYS if letters for text in (letters, f"{digit} {letters}")
} | {
    "UDP",
    "TCP",
    "TLS",
    "Alice Martin",
    "Bob Jones",
    "Ann Example",
    "Alice Smith",
    "acc1",  # the test history's account id, in the Recents details pane once its row loads
}


def messages(ts: Path) -> set[tuple[str, str]]:
    """(context, source text) of every current message in a Linguist catalogue."""
    found: set[tuple[str, str]] = set()
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is not None and translation.get("type") in ("obsolete", "vanished"):
                continue
            found.add((name, message.findtext("source") or ""))
    return found


def lupdate(out: Path) -> Path:
    subprocess.run(
        [*LUPDATE, "-no-obsolete", "-source-language", "en", *SOURCES, "-ts", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return out


def marked_catalogue(tmp_path: Path, language: str = "de") -> Path:
    """The code's strings, each "translated" to ⟦itself⟧, compiled to ``vicifast_<language>.qm``."""
    ts = lupdate(tmp_path / f"vicifast_{language}.ts")
    tree = ET.parse(ts)
    tree.getroot().set("language", language)
    for message in tree.getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        translation.attrib.pop("type", None)
        if message.get("numerus") == "yes":
            for _form in range(2):
                ET.SubElement(translation, "numerusform").text = f"{OPEN}{source}{CLOSE}"
        else:
            translation.text = f"{OPEN}{source}{CLOSE}"
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    qm = ts.with_suffix(".qm")
    subprocess.run(
        [str(BIN / "pyside6-lrelease"), "-silent", str(ts), "-qm", str(qm)],
        check=True,
        capture_output=True,
    )
    return qm


def remove_translators() -> None:
    app = QCoreApplication.instance()
    assert app is not None
    for translator in app.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.setParent(None)  # no longer the app's: gone with its Python reference


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    yield qapp
    remove_translators()


# -- the catalogue ---------------------------------------------------------------------------


def test_the_english_catalogue_is_current_with_the_code(tmp_path: Path) -> None:
    current = messages(lupdate(tmp_path / "vicifast_en.ts"))
    committed = messages(BASE)
    missing = sorted(current - committed)
    gone = sorted(committed - current)
    assert not missing and not gone, (
        "softphone/ui/translations/vicifast_en.ts is out of date: run scripts/update-translations"
        f" and commit it.\nNew strings: {missing}\nStrings no longer in the code: {gone}"
    )


def test_every_other_language_is_compiled() -> None:
    for ts in TRANSLATIONS_DIR.glob("vicifast_*.ts"):
        if ts.stem != "vicifast_en":
            assert ts.with_suffix(".qm").is_file(), f"run scripts/update-translations for {ts}"


# -- install_translator ----------------------------------------------------------------------


def test_english_needs_no_catalogue(app: QApplication, tmp_path: Path) -> None:
    marked_catalogue(tmp_path, "en")  # even if one were there
    assert install_translator(app, QLocale("en_US"), tmp_path) is None
    assert install_translator(app, QLocale(QLocale.Language.C), tmp_path) is None
    assert app.findChildren(QTranslator) == []


def test_a_catalogue_for_the_users_language_is_loaded(app: QApplication, tmp_path: Path) -> None:
    qm = marked_catalogue(tmp_path, "de")
    loaded = install_translator(app, QLocale("de_AT"), tmp_path)  # no de_AT: falls back to de
    assert loaded is not None and Path(loaded) == qm
    assert QCoreApplication.translate("CallActions", "Redial") == "⟦Redial⟧"


def test_qt_own_strings_follow_the_same_language(app: QApplication, tmp_path: Path) -> None:
    marked_catalogue(tmp_path, "de")
    install_translator(app, QLocale("de_DE"), tmp_path)
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Abbrechen"


def test_no_catalogue_for_the_language_loads_nothing(app: QApplication, tmp_path: Path) -> None:
    marked_catalogue(tmp_path, "de")
    assert install_translator(app, QLocale("fr_FR"), tmp_path) is None
    assert app.findChildren(QTranslator) == []


# -- every text on the main screens is translatable ------------------------------------------


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(what, text) for every text a person sees or hears on ``root`` and its children."""
    found: list[tuple[str, str]] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget.parent(), QTabBar):
            continue  # Qt's own scroll buttons: Qt's catalogue translates them
        kind = type(widget).__name__
        if isinstance(widget, TwoLineButton):
            found.append((f"{kind} title", widget.title()))
        elif isinstance(widget, QAbstractButton):
            found.append((f"{kind} text", widget.text()))
        if isinstance(widget, QLabel):
            found.append((f"{kind} text", widget.text()))
        if isinstance(widget, QLineEdit):
            found.append((f"{kind} placeholder", widget.placeholderText()))
        if isinstance(widget, QGroupBox):
            found.append((f"{kind} title", widget.title()))
        if isinstance(widget, QComboBox):
            found += [(f"{kind} item", widget.itemText(i)) for i in range(widget.count())]
        if isinstance(widget, QTabWidget):
            found += [(f"{kind} tab", widget.tabText(i)) for i in range(widget.count())]
        if isinstance(widget, QMenu):
            found.append((f"{kind} title", widget.title()))
            found += [(f"{kind} item", a.text()) for a in widget.actions()]
        if isinstance(widget, QAbstractItemView) and (model := widget.model()) is not None:
            found += [
                (f"{kind} column", str(model.headerData(c, Qt.Orientation.Horizontal) or ""))
                for c in range(model.columnCount())
            ]
        if widget.objectName() != "columnsHelp":  # qr_make's own CSV reference, in English
            found.append((f"{kind} tooltip", widget.toolTip()))
        found.append((f"{kind} accessible name", widget.accessibleName()))
    return found


def untranslated(root: QWidget) -> list[str]:
    words = re.compile(r"[^\W\d_]{2,}")
    return sorted(
        {
            f"{type(root).__name__}: {what}: {text!r}"
            for what, text in visible_texts(root)
            if words.search(text.replace("&", "")) and OPEN not in text and text not in NOT_WORDS
        }
    )


@pytest.fixture
def history(tmp_path: Path) -> Iterator[HistoryWriter]:
    writer = HistoryWriter(tmp_path / "history", MemorySecrets()).start()
    writer.opened.result(5)
    writer.record(call(1, number="5550100", name="Alice Martin", outcome=Outcome.MISSED)).result(5)
    yield writer
    writer.stop()


def main_screens(
    history: HistoryWriter, tmp_path: Path, bridge: QtBridge
) -> dict[str, Callable[[], QWidget]]:
    def phone(in_call: bool) -> QWidget:
        bus = EventBus()
        view = PhoneView(FakePhone(), bus, bridge)
        if in_call:
            bus.publish(incoming("c1", display="Ann Example"))
            bus.publish(state("c1", ev.CallState.CONFIRMED, display="Ann Example"))
        return view

    def settings() -> QWidget:
        audio = AudioController(NullBackend(), AudioRings.create(), lambda item: None)
        return SettingsView(audio, AppSettings(), bridge, settings_path=tmp_path / "settings.json")

    def window() -> QWidget:
        bus = EventBus()
        shell = MainWindow(
            bus,
            QWidget(),
            [("Phone", lambda: PhoneView(FakePhone(), bus, bridge)), ("Recents", QWidget)],
        )
        bus.publish(SessionStateChanged(state=SessionState.REGISTERING))
        return shell

    return {
        "sign-in": lambda: SignInView(EventBus()),
        "phone": lambda: phone(False),
        "phone in a call": lambda: phone(True),
        "recents": lambda: RecentsView(HistoryModel(history, bridge), bridge, lambda number: None),
        "settings": settings,
        "main window": window,
        "incoming call": lambda: IncomingCallWindow(
            FakePhone(), EventBus(), bridge, incoming("c1", display="Ann Example")
        ),
        "provisioning": lambda: ProvisioningView(bridge),
    }


SCREENS = (
    "sign-in",
    "phone",
    "phone in a call",
    "recents",
    "settings",
    "main window",
    "incoming call",
    "provisioning",
)


@pytest.mark.parametrize("screen", SCREENS)
def test_every_text_on_the_main_screens_is_translatable(
    qtbot: QtBot,
    app: QApplication,
    history: HistoryWriter,
    bridge: QtBridge,
    tmp_path: Path,
    screen: str,
) -> None:
    translator = QTranslator(app)
    assert translator.load(str(marked_catalogue(tmp_path)))
    app.installTranslator(translator)
    widget = main_screens(history, tmp_path, bridge)[screen]()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    assert any(OPEN in text for _what, text in visible_texts(widget))  # the catalogue is in use
    missing = untranslated(widget)
    assert not missing, "wrap these in tr() and run scripts/update-translations:\n" + "\n".join(
        missing
    )


def test_the_tray_menu_and_tooltip_are_translatable(app: QApplication, tmp_path: Path) -> None:
    translator = QTranslator(app)
    assert translator.load(str(marked_catalogue(tmp_path)))
    app.installTranslator(translator)
    tray = Tray(EventBus())
    tray.set_missed(2)
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    texts.append(tray.icon.toolTip())
    assert texts and all(OPEN in text for text in texts), texts
