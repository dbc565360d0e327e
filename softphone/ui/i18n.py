"""Translations: Qt Linguist catalogues in the ``translations`` folder next to this module.

The code's strings are English and go through ``tr()``. ``vicifast_en.ts`` is the English base
catalogue, regenerated from the code by ``scripts/update-translations``; a translator copies it
to ``vicifast_<lang>.ts``, and the same script compiles that to the ``vicifast_<lang>.qm`` this
module loads. English needs no catalogue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

TRANSLATIONS_DIR: Final = Path(__file__).resolve().parent / "translations"
CATALOGUE: Final = "vicifast"


def install_translator(
    app: QCoreApplication, locale: QLocale | None = None, directory: Path = TRANSLATIONS_DIR
) -> str | None:
    """Load the app's catalogue for ``locale`` (the system's by default), and Qt's own
    ``qtbase`` one for the same language when Qt ships it, so standard dialogs match.

    Returns the app catalogue's file, or None when the user's first language with a catalogue
    is English (the source strings) or there is none for their languages.
    """
    locale = locale if locale is not None else QLocale.system()
    # In the user's order of preference: an English preference ahead of a language we have a
    # catalogue for means English.
    for tag in locale.uiLanguages() or [locale.name()]:
        wanted = QLocale(tag)
        if wanted.language() in (QLocale.Language.English, QLocale.Language.C):
            return None
        own = QTranslator()
        # Tries vicifast_de_AT.qm, then vicifast_de.qm.
        if own.load(f"{CATALOGUE}_{wanted.name()}", str(directory)):
            _install(app, own)
            qt = QTranslator()
            qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            if qt.load(wanted, "qtbase", "_", qt_dir):
                _install(app, qt)
            return own.filePath()
    return None


def _install(app: QCoreApplication, translator: QTranslator) -> None:
    translator.setParent(app)  # lives as long as the app
    app.installTranslator(translator)
