"""The Settings page's Appearance and start-up group: light or dark windows, start minimised to
the tray, launch at login, and opening sip:/tel:/callto: links with the app.

The colour scheme is applied to the whole app at once (``softphone.ui.theme``).

Launch at login and opening links are applied to the desktop at once; the links checkbox shows
what the desktop itself says (``LinkHandler.is_registered``) each time the page is shown, not a
saved setting.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QVBoxLayout

from softphone.desktop.autostart import Autostart, AutostartError
from softphone.desktop.link_handler import LinkHandler, LinkHandlerError
from softphone.storage.settings import Theme
from softphone.ui.settings.page import SettingsPage
from softphone.ui.theme import apply_theme


class StartupSection(SettingsPage):
    """The Appearance and start-up group over this platform's ``Autostart`` and
    ``LinkHandler``."""

    _autostart: Autostart
    _link_handler: LinkHandler

    def _startup_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Appearance and start-up"), self)
        box = QVBoxLayout(group)
        self.theme = self._combo("theme", self.tr("Colour scheme"))
        self.theme.addItem(self.tr("As the system"), Theme.SYSTEM.value)
        self.theme.addItem(self.tr("Light"), Theme.LIGHT.value)
        self.theme.addItem(self.tr("Dark"), Theme.DARK.value)
        self.theme.setCurrentIndex(self.theme.findData(self._settings.theme.value))
        self.theme.setToolTip(self.tr("Light or dark windows, or as your desktop has them"))
        self.theme.activated.connect(lambda _i: self._on_theme())
        theme_label = QLabel(self.tr("Colo&ur scheme:"), group)
        theme_label.setBuddy(self.theme)
        theme_row = QHBoxLayout()
        theme_row.addWidget(theme_label)
        theme_row.addWidget(self.theme, 1)
        self.start_minimised = self._check(
            self.tr("Start minimised to the tra&y"),
            self.tr("Start minimised to the tray"),
            self._settings.start_minimised,
        )
        self.start_minimised.toggled.connect(lambda on: self._change(start_minimised=on))
        self.launch_at_login = self._check(
            self.tr("&Launch at login"),
            self.tr("Launch at login"),
            self._settings.launch_at_login,
        )
        self.launch_at_login.toggled.connect(self._on_launch_at_login)
        self.startup_error = QLabel(group)
        self.startup_error.setWordWrap(True)
        self.startup_error.hide()
        self.open_links = self._check(
            self.tr("Open sip:, tel: and callto: li&nks with VICIfast Desktop"),
            self.tr("Open sip:, tel: and callto: links with VICIfast Desktop"),
            False,
        )
        self.open_links.setObjectName("openLinks")
        reason = self._link_handler.unavailable_reason
        self.open_links.setEnabled(reason is None)
        self.open_links.setAccessibleDescription(reason or "")
        self.open_links.setToolTip(
            reason
            or self.tr(
                "Phone numbers and SIP addresses you click in a browser or your CRM open here; "
                "you confirm before a call is dialled"
            )
        )
        self.open_links.toggled.connect(self._on_open_links)
        self.links_error = QLabel(group)
        self.links_error.setObjectName("linksError")
        self.links_error.setWordWrap(True)
        self.links_error.hide()
        self._sync_open_links()
        box.addLayout(theme_row)
        box.addWidget(self.start_minimised)
        box.addWidget(self.launch_at_login)
        box.addWidget(self.startup_error)
        box.addWidget(self.open_links)
        box.addWidget(self.links_error)
        return group

    def _on_theme(self) -> None:
        chosen = Theme(self.theme.currentData())
        apply_theme(chosen)
        self._change(theme=chosen)

    def _on_launch_at_login(self, on: bool) -> None:
        try:
            if on:
                self._autostart.enable()
            else:
                self._autostart.disable()
        except AutostartError as exc:
            self.startup_error.setText(str(exc))
            self.startup_error.show()
            self.launch_at_login.blockSignals(True)
            self.launch_at_login.setChecked(not on)
            self.launch_at_login.blockSignals(False)
            return
        self.startup_error.hide()
        self._change(launch_at_login=on)

    def _on_open_links(self, on: bool) -> None:
        try:
            if on:
                self._link_handler.register()
            else:
                self._link_handler.unregister()
        except LinkHandlerError as exc:
            self.links_error.setText(str(exc))
            self.links_error.show()
        else:
            self.links_error.hide()
        self._sync_open_links()

    def _sync_open_links(self) -> None:
        """The checkbox as the desktop has it (another app may have taken the links since)."""
        self.open_links.blockSignals(True)
        self.open_links.setChecked(self._link_handler.is_registered())
        self.open_links.blockSignals(False)
