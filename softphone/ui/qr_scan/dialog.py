"""The agents' "Scan QR code" dialog: camera, image file, screen region or clipboard, then a
confirmation page; nothing is applied until the user presses Apply.

Privacy: the camera is open only while the Camera tab's scan runs (see :mod:`.camera_tab`); it
is released the moment a code is read, when the user stops it or switches tab, and when the
dialog closes. Screenshots and clipboard images are decoded in memory only.

Decoding, camera listing and PIN derivation (scrypt) run one at a time, in order, on the
dialog's bridge lane ("qr-scan"); their results come back on the GUI thread. The two public
signals are emitted on the GUI thread.

Size: the scanning page (a camera preview) wants a big window; the PIN and confirm pages hold a
few lines, so the dialog shrinks to fit them (keeping its centre) and grows back to the size it
had when the person returns to scanning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.core.errors import VicifastError
from softphone.core.executor import Outcome
from softphone.core.models import SipAccountConfig
from softphone.provisioning import camera, qr_decode, qr_format
from softphone.provisioning.qr_errors import QrError
from softphone.provisioning.qr_format import SealedSipCode, SignInCode, SipAccountCode
from softphone.ui.bridge import QtBridge
from softphone.ui.look import Tone, tone_color
from softphone.ui.qr_scan.camera_tab import CameraLister, CameraTab
from softphone.ui.qr_scan.confirm_page import ConfirmPage
from softphone.ui.qr_scan.images import qimage_to_gray
from softphone.ui.qr_scan.pin_page import PinPage
from softphone.ui.qr_scan.screen_region import RegionSelector, ScreenGrabber, grab_screen
from softphone.ui.qr_scan.sources_page import ScanSourcesPage

PinPrompt = Callable[[QWidget], str | None]
SCAN_MINIMUM: Final = QSize(560, 560)  # the scanning page: room for the camera's preview
COMPACT_WIDTH: Final = 460  # the PIN and confirm pages: a server's host name fits on a line


class QrScanDialog(QDialog):
    """Scan a VICIfast code and confirm it.

    Emits ``signInCodeAccepted(SignInCode)`` or ``sipAccountAccepted(SipAccountConfig)`` on the
    GUI thread when the user presses Apply; then the dialog accepts.
    """

    signInCodeAccepted = Signal(object)
    sipAccountAccepted = Signal(object)

    def __init__(
        self,
        bridge: QtBridge,
        parent: QWidget | None = None,
        *,
        camera_factory: camera.CaptureFactory = camera.open_capture,
        camera_lister: CameraLister = camera.list_cameras,
        pin_prompt: PinPrompt | None = None,
        screen_grabber: ScreenGrabber = grab_screen,
        allow_custom_control_planes: bool = False,
        grab_delay_ms: int = 250,
    ) -> None:
        super().__init__(parent)
        self._pin_prompt = pin_prompt
        self._grabber = screen_grabber
        self._allow_custom = allow_custom_control_planes
        self._grab_delay_ms = grab_delay_ms
        self._lane = bridge.lane("qr-scan")
        self._job = 0
        self._latest: dict[str, int] = {}
        self._sealed: SealedSipCode | None = None
        self._pending: SignInCode | SipAccountCode | None = None
        self._selector: RegionSelector | None = None
        self._closed = False

        self.setWindowTitle(self.tr("Scan a QR code"))
        self.setAccessibleName(self.tr("Scan a QR code"))
        self.setMinimumSize(SCAN_MINIMUM)
        self._scan_size: QSize | None = None  # the size while scanning, to go back to
        self.camera = CameraTab(bridge, self._run, camera_factory, camera_lister)
        self.camera.started.connect(lambda: self._set_status(self.tr("Looking for a QR code…")))
        self.camera.finished.connect(self._camera_done)
        self.sources = ScanSourcesPage(self.camera)
        self.sources.file_button.clicked.connect(self._choose_file)
        self.sources.region_button.clicked.connect(lambda: self.scan_screen(whole=False))
        self.sources.whole_button.clicked.connect(lambda: self.scan_screen(whole=True))
        self.sources.clipboard_button.clicked.connect(self.scan_clipboard)
        self.sources.cancel_button.clicked.connect(self.reject)
        self.pin_page = PinPage()
        self.pin_page.unlockRequested.connect(self._unlock)
        self.pin_page.back_button.clicked.connect(self.back_to_scanning)
        self.confirm_page = ConfirmPage()
        self.confirm_page.apply_button.clicked.connect(self._apply)
        self.confirm_page.back_button.clicked.connect(self.back_to_scanning)
        self._pages = QStackedWidget(self)
        self._pages.addWidget(self.sources)
        self._pages.addWidget(self.pin_page)
        self._pages.addWidget(self.confirm_page)
        self._size_pages_by(0)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self._pages)
        paste = QShortcut(QKeySequence.StandardKey.Paste, self)
        paste.activated.connect(self.scan_clipboard)
        self.sources.tabs.currentChanged.connect(self._tab_changed)
        QTimer.singleShot(0, lambda: self._tab_changed(self.sources.tabs.currentIndex()))

    # ---- public entry points (the buttons call these; tests too) -------------------------------

    def page_name(self) -> str:
        return ("sources", "pin", "confirm")[self._pages.currentIndex()]

    def confirmation_rows(self) -> dict[str, str]:
        """What the confirmation page shows, label → value."""
        return self.confirm_page.rows()

    def scan_file(self, path: str) -> None:
        self._set_status(self.tr("Reading the image…"))
        self._run(lambda: qr_decode.scan_image(path), self._scan_finished)

    def scan_qimage(self, image: QImage) -> None:
        if image.isNull() or image.width() < 21 or image.height() < 21:
            self._set_error(self.tr("That picture is empty or too small to hold a QR code."))
            return
        gray = qimage_to_gray(image)
        self._set_status(self.tr("Reading the picture…"))
        self._run(lambda: qr_decode.scan_image(gray), self._scan_finished)

    def scan_text(self, text: str) -> None:
        self.camera.stop()
        try:
            code = qr_format.parse(text.strip())
            if isinstance(code, SignInCode):
                code.require_allowed(custom_control_planes=self._allow_custom)
        except QrError as err:
            self._set_error(str(err))
            return
        self._set_status("")
        if isinstance(code, SealedSipCode):
            self._ask_pin(code)
        else:
            self._confirm(code)

    def scan_clipboard(self) -> None:
        if self._pages.currentIndex() != 0:
            return
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        text = (mime.text() if mime is not None and mime.hasText() else "").strip()
        if text.startswith(qr_format.SCHEME):
            self.scan_text(text)
        elif mime is not None and mime.hasImage():
            self.scan_qimage(clipboard.image())
        elif text:
            self._set_error(
                self.tr("The clipboard holds text that is not a VICIfast code (vicifast://…).")
            )
        else:
            self._set_error(
                self.tr("The clipboard holds no picture or code. Copy the QR code first.")
            )

    def scan_screen(self, *, whole: bool) -> None:
        self.camera.stop()
        self._set_status(self.tr("Capturing the screen…"))
        self.hide()  # so this window does not cover the code
        QTimer.singleShot(self._grab_delay_ms, lambda: self._grab(whole))

    def back_to_scanning(self) -> None:
        self._forget_code()
        self._show_page(0)
        self._set_status("")

    # ---- camera --------------------------------------------------------------------------------

    def _tab_changed(self, index: int) -> None:
        if index != 0:
            self.camera.stop()
        else:
            self.camera.list_cameras()

    def _camera_done(self, outcome: object) -> None:
        assert isinstance(outcome, camera.ScanOutcome)
        if outcome.reason is camera.StopReason.FOUND and outcome.result is not None:
            self.scan_text(outcome.result.text)
        elif outcome.reason is camera.StopReason.FAILED and outcome.error is not None:
            self._set_error(str(outcome.error))
        elif outcome.reason in (camera.StopReason.ENDED, camera.StopReason.TIMED_OUT):
            self._set_error(self.tr("No VICIfast code was seen. Try again closer and steadier."))
        else:
            self._set_status(self.tr("The camera is off."))

    # ---- screen --------------------------------------------------------------------------------

    def _grab(self, whole: bool) -> None:
        if self._closed:
            return
        shot = self._grabber()
        if shot.isNull():
            self.show()
            self._set_error(
                self.tr(
                    "This desktop does not let apps capture the screen (Wayland). Take a "
                    "screenshot and use Image file or Clipboard instead."
                )
            )
            return
        if whole:
            self.show()
            self.scan_qimage(shot)
            return
        self._selector = RegionSelector(shot)
        self._selector.regionSelected.connect(self._region_chosen)
        self._selector.cancelled.connect(self._region_cancelled)
        self._selector.show_over()

    def region_selector(self) -> RegionSelector | None:
        return self._selector

    def _region_chosen(self, image: QImage) -> None:
        self._selector = None
        self.show()
        self.scan_qimage(image)

    def _region_cancelled(self) -> None:
        self._selector = None
        self.show()
        self._set_status(self.tr("Screen selection cancelled."))

    # ---- file ----------------------------------------------------------------------------------

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Open a picture of the QR code"),
            "",
            self.tr("Images (*.png *.jpg *.jpeg *.bmp *.webp *.gif *.tif *.tiff);;All files (*)"),
        )
        if path:
            self.scan_file(path)

    # ---- decoding results ----------------------------------------------------------------------

    def _run(
        self, work: Callable[[], object], handler: Callable[[object], None], kind: str = "decode"
    ) -> None:
        """Run ``work`` on the lane; ``handler`` gets its result (or exception) on the GUI
        thread, unless the dialog has closed or a newer job of the same kind has started."""
        if self._closed:
            return
        self._job += 1
        token = self._job
        self._latest[kind] = token

        def finished(outcome: Outcome[object]) -> None:
            if not self._closed and self._latest.get(kind) == token:
                handler(outcome.error if outcome.error is not None else outcome.value)

        self._lane(work, finished, owner=self)

    def _scan_finished(self, value: object) -> None:
        if isinstance(value, qr_decode.ScanResult):
            self.scan_text(value.text)
        elif isinstance(value, VicifastError):
            self._set_error(str(value))
        elif value is None:
            self._set_error(
                self.tr(
                    "No VICIfast QR code found in that picture. Make sure the whole code is "
                    "in it, sharp, with a white margin around it."
                )
            )
        else:
            self._set_error(self.tr("That picture could not be read."))

    def _ask_pin(self, sealed: SealedSipCode) -> None:
        self._sealed = sealed
        self._show_page(1)
        self.pin_page.start(self._error_style())
        if self._pin_prompt is not None:
            pin = self._pin_prompt(self)
            if pin:
                self._unlock(pin)

    def _unlock(self, pin: str) -> None:
        sealed = self._sealed
        if sealed is None:
            return
        self.pin_page.checking()
        self._run(lambda: sealed.open(pin), self._unlocked)

    def _unlocked(self, value: object) -> None:
        if self._sealed is None:
            return  # the person went back to scanning while the PIN was tried
        if isinstance(value, SipAccountCode):
            self.pin_page.checked()
            self._sealed = None
            self._confirm(value)
            return
        if isinstance(value, VicifastError):  # WrongPin, ExpiredCode, MalformedAccount…
            message = str(value)
        else:
            message = self.tr("This code could not be opened. Ask your supervisor for a new one.")
        self.pin_page.checked(message)

    def _confirm(self, code: SignInCode | SipAccountCode) -> None:
        self._pending = code
        self.confirm_page.show_code(code)
        self._show_page(2)
        self.confirm_page.apply_button.setFocus()

    def _apply(self) -> None:
        code, self._pending = self._pending, None
        if isinstance(code, SignInCode):
            self.signInCodeAccepted.emit(code)
        elif isinstance(code, SipAccountCode):
            config: SipAccountConfig = code.to_config()
            self.sipAccountAccepted.emit(config)
        else:
            return
        self.accept()

    def _forget_code(self) -> None:
        self._sealed = None
        self._pending = None
        self.pin_page.pin_field.clear()

    # ---- pages and size ------------------------------------------------------------------------

    def _show_page(self, index: int) -> None:
        """Show page ``index`` at its size: the scanning page as big as it was, the PIN and
        confirm pages fitted to what they hold."""
        current = self._pages.currentIndex()
        if current == index:
            return
        if current == 0:
            self._scan_size = self.size()
        self._size_pages_by(index)
        self._pages.setCurrentIndex(index)
        if index == 0:
            self.setMinimumSize(SCAN_MINIMUM)
            size = (self._scan_size or SCAN_MINIMUM).expandedTo(SCAN_MINIMUM)
        else:
            self.setMinimumSize(0, 0)
            size = self._fitted(self.pin_page if index == 1 else self.confirm_page)
        self._resize_keeping_centre(size)

    def _fitted(self, page: QWidget) -> QSize:
        """The dialog's size around ``page`` at the compact width. Worked out from the page:
        a stack answers the height for a width of its tallest page, shown or not."""
        margins = self._layout.contentsMargins()
        across = margins.left() + margins.right()
        width = max(COMPACT_WIDTH, page.minimumSizeHint().width() + across)
        inner = width - across
        height = page.heightForWidth(inner) if page.hasHeightForWidth() else -1
        height = max(height, page.minimumSizeHint().height())
        return QSize(width, height + margins.top() + margins.bottom())

    def _size_pages_by(self, index: int) -> None:
        """Only the page shown counts for the dialog's size (a stack sizes by its biggest)."""
        for i in range(self._pages.count()):
            shown = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page = self._pages.widget(i)
            if page is not None:
                page.setSizePolicy(shown, shown)

    def _resize_keeping_centre(self, size: QSize) -> None:
        centre = self.geometry().center()
        self.resize(size)
        if self.isVisible():
            frame = self.frameGeometry()
            frame.moveCenter(centre)
            self.move(frame.topLeft())

    # ---- status and closing --------------------------------------------------------------------

    def _set_status(self, text: str) -> None:
        self.sources.status.setStyleSheet("")
        self.sources.status.setText(text)

    def _set_error(self, text: str) -> None:
        self._show_page(0)
        self.sources.status.setStyleSheet(self._error_style())
        self.sources.status.setText(text)

    def _error_style(self) -> str:
        return f"color: {tone_color(Tone.BAD, self.palette()).name()}; font-weight: 600;"

    def done(self, result: int) -> None:
        self._shutdown()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._shutdown()
        super().closeEvent(event)

    def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.camera.stop()
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        self._forget_code()
        self._lane.close()  # jobs not started are dropped; a running one's result is ignored
