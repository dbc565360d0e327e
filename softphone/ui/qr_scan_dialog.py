"""The agents' "Scan QR code" dialog: camera, image file, screen region or clipboard, then a
confirmation page; nothing is applied until the user presses Apply.

Privacy: the camera is open only while the Camera tab's scan runs; it is released the moment a
code is read, when the user stops it or switches tab, and when the dialog closes. Frames go to the
preview label and are dropped; screenshots and clipboard images are decoded in memory only.

Decoding and PIN derivation (scrypt) run on one worker thread; results come back through a queued
signal (``_Relay``) whose slots run on the GUI thread. The two public signals are emitted on the
GUI thread.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from PySide6.QtCore import QObject, QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPixmap,
    QRegularExpressionValidator,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from softphone.core.errors import VicifastError
from softphone.core.models import SipAccountConfig
from softphone.provisioning import camera, qr_decode, qr_format
from softphone.provisioning.qr_errors import QrError
from softphone.provisioning.qr_format import SealedSipCode, SignInCode, SipAccountCode
from softphone.ui.screen_region import RegionSelector, ScreenGrabber, grab_screen

PinPrompt = Callable[[QWidget], str | None]
CameraLister = Callable[[camera.CaptureFactory], list[camera.CameraInfo]]
PREVIEW_SIZE = (480, 360)


def qimage_to_gray(image: QImage) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A copy of ``image`` as an 8-bit grayscale array (what the decoders take)."""
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = gray.width(), gray.height(), gray.bytesPerLine()
    if width == 0 or height == 0:
        return np.zeros((0, 0), np.uint8)
    raw = np.frombuffer(gray.constBits(), np.uint8, count=stride * height)
    return raw.reshape(height, stride)[:, :width].copy()


def frame_to_qimage(frame: np.ndarray[Any, Any]) -> QImage:
    """A camera frame (BGR or grayscale) as a QImage that owns its pixels."""
    frame = np.ascontiguousarray(frame)
    height, width = frame.shape[:2]
    if frame.ndim == 2:
        fmt, stride = QImage.Format.Format_Grayscale8, width
    else:
        fmt, stride = QImage.Format.Format_BGR888, width * 3
    return QImage(frame.data, width, height, stride, fmt).copy()


class _Relay(QObject):
    """Worker-thread results onto the GUI thread (queued: the slots run there)."""

    frame = Signal(QImage)
    cameraDone = Signal(object)
    jobDone = Signal(int, object)


class QrScanDialog(QDialog):
    """Scan a VICIfast code and confirm it.

    Emits ``signInCodeAccepted(SignInCode)`` or ``sipAccountAccepted(SipAccountConfig)`` on the
    GUI thread when the user presses Apply; then the dialog accepts.
    """

    signInCodeAccepted = Signal(object)
    sipAccountAccepted = Signal(object)

    def __init__(
        self,
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
        self._camera_factory = camera_factory
        self._camera_lister = camera_lister
        self._pin_prompt = pin_prompt
        self._grabber = screen_grabber
        self._allow_custom = allow_custom_control_planes
        self._grab_delay_ms = grab_delay_ms
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qr-scan")
        self._relay = _Relay(self)
        self._relay.frame.connect(self._show_frame)
        self._relay.cameraDone.connect(self._camera_done)
        self._relay.jobDone.connect(self._job_done)
        self._job = 0
        self._job_handlers: dict[int, tuple[str, Callable[[object], None]]] = {}
        self._latest: dict[str, int] = {}
        self._scanner: camera.CameraScanner | None = None
        self._cameras_listed = False
        self._have_cameras = False
        self._sealed: SealedSipCode | None = None
        self._pending: SignInCode | SipAccountCode | None = None
        self._selector: RegionSelector | None = None
        self._closed = False

        self.setWindowTitle(self.tr("Scan a QR code"))
        self.setAccessibleName(self.tr("Scan a QR code"))
        self.setMinimumSize(560, 560)
        self._pages = QStackedWidget(self)
        self._pages.addWidget(self._build_sources_page())
        self._pages.addWidget(self._build_pin_page())
        self._pages.addWidget(self._build_confirm_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self._pages)
        paste = QShortcut(QKeySequence.StandardKey.Paste, self)
        paste.activated.connect(self.scan_clipboard)
        self._tabs.currentChanged.connect(self._tab_changed)
        QTimer.singleShot(0, lambda: self._tab_changed(self._tabs.currentIndex()))

    # ---- pages ---------------------------------------------------------------------------------

    def _build_sources_page(self) -> QWidget:
        page = QWidget()
        self._tabs = QTabWidget(page)
        self._tabs.setAccessibleName(self.tr("Where to scan from"))
        self._tabs.addTab(self._build_camera_tab(), self.tr("&Camera"))
        self._tabs.addTab(self._build_file_tab(), self.tr("&Image file"))
        self._tabs.addTab(self._build_screen_tab(), self.tr("&Screen"))
        self._tabs.addTab(self._build_clipboard_tab(), self.tr("C&lipboard"))
        self.status = QLabel(page)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Scan status"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * 3)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        cancel = QPushButton(self.tr("Cancel"), page)
        cancel.setAccessibleName(self.tr("Cancel"))
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._tabs, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        return page

    def _build_camera_tab(self) -> QWidget:
        tab = QWidget()
        self.camera_picker = QComboBox(tab)
        self.camera_picker.setAccessibleName(self.tr("Camera"))
        self.camera_picker.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        label = QLabel(self.tr("C&amera:"), tab)
        label.setBuddy(self.camera_picker)
        self.camera_button = QPushButton(self.tr("Start camera"), tab)
        self.camera_button.setAccessibleName(self.tr("Start or stop the camera"))
        self.camera_button.setEnabled(False)
        self.camera_button.clicked.connect(self._toggle_camera)
        self.preview = QLabel(self.tr("The camera is off."), tab)
        self.preview.setAccessibleName(self.tr("Camera preview"))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(*PREVIEW_SIZE)
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.preview.setFrameShape(QLabel.Shape.StyledPanel)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.camera_picker, 1)
        row.addWidget(self.camera_button)
        hint = QLabel(
            self.tr(
                "Hold the code steady in front of the camera. The camera turns off as soon as "
                "the code is read; no picture is saved."
            ),
            tab,
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(self.preview, 1)
        layout.addWidget(hint)
        return tab

    def _build_file_tab(self) -> QWidget:
        tab = QWidget()
        text = QLabel(
            self.tr("Open a picture or screenshot of the code (PNG, JPEG, BMP, WebP…)."), tab
        )
        text.setWordWrap(True)
        self.file_button = QPushButton(self.tr("Choose an &image…"), tab)
        self.file_button.setAccessibleName(self.tr("Choose an image file"))
        self.file_button.clicked.connect(self._choose_file)
        return self._simple_tab(tab, text, [self.file_button])

    def _build_screen_tab(self) -> QWidget:
        tab = QWidget()
        text = QLabel(
            self.tr(
                "For a code on this screen, e.g. one your supervisor sent in a chat: show it, "
                "then select it. This window hides while the screen is captured; the capture "
                "is not saved."
            ),
            tab,
        )
        text.setWordWrap(True)
        self.region_button = QPushButton(self.tr("Select a &region…"), tab)
        self.region_button.setAccessibleName(self.tr("Select a screen region"))
        self.region_button.clicked.connect(lambda: self.scan_screen(whole=False))
        self.whole_button = QPushButton(self.tr("&Whole screen"), tab)
        self.whole_button.setAccessibleName(self.tr("Scan the whole screen"))
        self.whole_button.clicked.connect(lambda: self.scan_screen(whole=True))
        return self._simple_tab(tab, text, [self.region_button, self.whole_button])

    def _build_clipboard_tab(self) -> QWidget:
        tab = QWidget()
        text = QLabel(
            self.tr(
                "Copy the code's picture, or its vicifast:// link, then read the clipboard "
                "(or press Ctrl+V anywhere in this window)."
            ),
            tab,
        )
        text.setWordWrap(True)
        self.clipboard_button = QPushButton(self.tr("&Read the clipboard"), tab)
        self.clipboard_button.setAccessibleName(self.tr("Read the clipboard"))
        self.clipboard_button.clicked.connect(self.scan_clipboard)
        return self._simple_tab(tab, text, [self.clipboard_button])

    @staticmethod
    def _simple_tab(tab: QWidget, text: QLabel, buttons: list[QPushButton]) -> QWidget:
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(tab)
        layout.addWidget(text)
        layout.addLayout(row)
        layout.addStretch(1)
        return tab

    def _build_pin_page(self) -> QWidget:
        page = QWidget()
        title = QLabel(f"<h3>{self.tr('This is a SIP account code')}</h3>", page)
        text = QLabel(
            self.tr(
                "Enter the PIN your supervisor gave you with it (6 to 12 digits). The PIN "
                "never comes in the QR code itself."
            ),
            page,
        )
        text.setWordWrap(True)
        self.pin_field = QLineEdit(page)
        self.pin_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_field.setAccessibleName(self.tr("PIN"))
        self.pin_field.setValidator(
            QRegularExpressionValidator(QRegularExpression("[0-9]{0,12}"), self.pin_field)
        )
        self.pin_field.setInputMethodHints(
            Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData
        )
        self.pin_field.setMaxLength(qr_format.PIN_MAX_DIGITS)
        self.pin_field.textChanged.connect(self._pin_changed)
        self.pin_field.returnPressed.connect(self._unlock_clicked)
        form = QFormLayout()
        pin_label = QLabel(self.tr("&PIN:"), page)
        pin_label.setBuddy(self.pin_field)
        form.addRow(pin_label, self.pin_field)
        self.pin_error = QLabel(page)
        self.pin_error.setWordWrap(True)
        # Stacked pages do not grow word-wrapped labels by height-for-width: reserve the lines.
        self.pin_error.setMinimumHeight(self.pin_error.fontMetrics().lineSpacing() * 3)
        self.pin_error.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.pin_error.setAccessibleName(self.tr("PIN problem"))
        self.unlock_button = QPushButton(self.tr("&Unlock"), page)
        self.unlock_button.setAccessibleName(self.tr("Unlock the code"))
        self.unlock_button.setEnabled(False)
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._unlock_clicked)
        back = QPushButton(self.tr("&Back"), page)
        back.setAccessibleName(self.tr("Back to scanning"))
        back.clicked.connect(self.back_to_scanning)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        layout = QVBoxLayout(page)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.pin_error)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _build_confirm_page(self) -> QWidget:
        page = QWidget()
        self.confirm_title = QLabel(page)
        self.confirm_text = QLabel(page)
        self.confirm_text.setWordWrap(True)
        self.confirm_text.setMinimumHeight(self.confirm_text.fontMetrics().lineSpacing() * 2)
        self.confirm_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.confirm_form = QFormLayout()
        self.confirm_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.apply_button = QPushButton(self.tr("&Apply"), page)
        self.apply_button.setAccessibleName(self.tr("Apply this code"))
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self._apply)
        back = QPushButton(self.tr("&Back"), page)
        back.setAccessibleName(self.tr("Back to scanning"))
        back.clicked.connect(self.back_to_scanning)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.confirm_title)
        layout.addWidget(self.confirm_text)
        layout.addLayout(self.confirm_form)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    # ---- public entry points (the buttons call these; tests too) -------------------------------

    def page_name(self) -> str:
        return ("sources", "pin", "confirm")[self._pages.currentIndex()]

    def confirmation_rows(self) -> dict[str, str]:
        """What the confirmation page shows, label → value."""
        rows = {}
        for row in range(self.confirm_form.rowCount()):
            label = self.confirm_form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = self.confirm_form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            key = label.widget() if label is not None else None
            value = field.widget() if field is not None else None
            if isinstance(key, QLabel) and isinstance(value, QLabel):
                rows[key.text().rstrip(":")] = value.text()
        return rows

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
        self._stop_camera()
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
        self._stop_camera()
        self._set_status(self.tr("Capturing the screen…"))
        self.hide()  # so this window does not cover the code
        QTimer.singleShot(self._grab_delay_ms, lambda: self._grab(whole))

    def back_to_scanning(self) -> None:
        self._forget_code()
        self._pages.setCurrentIndex(0)
        self._set_status("")

    # ---- camera --------------------------------------------------------------------------------

    def _tab_changed(self, index: int) -> None:
        if index != 0:
            self._stop_camera()
        elif not self._cameras_listed:
            self._cameras_listed = True
            self.camera_picker.clear()
            self.camera_picker.addItem(self.tr("Looking for cameras…"))
            self.camera_picker.setEnabled(False)
            self._run(
                lambda: self._camera_lister(self._camera_factory), self._cameras_found, "cameras"
            )

    def _cameras_found(self, found: object) -> None:
        self.camera_picker.clear()
        cameras = found if isinstance(found, list) else []
        for info in cameras:
            self.camera_picker.addItem(info.name, info.source)
        self.camera_picker.setEnabled(bool(cameras))
        self.camera_button.setEnabled(bool(cameras))
        self._have_cameras = bool(cameras)
        if not cameras:
            self.camera_picker.addItem(self.tr("No camera found"))
            self.preview.setText(
                self.tr(
                    "No camera found.\nPlug one in and reopen this window, or scan from an\n"
                    "image file, the screen or the clipboard."
                )
            )

    def _toggle_camera(self) -> None:
        if self._scanner is not None:
            self._stop_camera()
        else:
            self._start_camera()

    def _start_camera(self) -> None:
        source = self.camera_picker.currentData()
        if source is None:
            return
        relay = self._relay

        def on_frame(frame: np.ndarray[Any, Any]) -> None:
            image = frame_to_qimage(frame)  # the frame array is not kept past this call
            with contextlib.suppress(RuntimeError):  # the dialog is gone
                relay.frame.emit(image)

        def on_done(outcome: camera.ScanOutcome) -> None:
            with contextlib.suppress(RuntimeError):
                relay.cameraDone.emit(outcome)

        self._scanner = camera.CameraScanner(
            source, on_frame=on_frame, on_done=on_done, capture_factory=self._camera_factory
        )
        self.camera_button.setText(self.tr("Stop camera"))
        self.camera_picker.setEnabled(False)
        self.preview.setText(self.tr("Starting the camera…"))
        self._set_status(self.tr("Looking for a QR code…"))
        self._scanner.start()

    def _stop_camera(self) -> None:
        scanner, self._scanner = self._scanner, None
        if scanner is not None:
            # no join on the GUI thread: the scanner's own thread releases the camera as it ends
            scanner.close(wait=0)
        self._camera_stopped()

    def _camera_stopped(self) -> None:
        self.preview.clear()
        self.preview.setText(
            self.tr("The camera is off.") if self._have_cameras else self.preview.text()
        )
        self.camera_button.setText(self.tr("Start camera"))
        self.camera_picker.setEnabled(
            self.camera_picker.count() > 0 and self.camera_button.isEnabled()
        )

    def _show_frame(self, image: QImage) -> None:
        if self._scanner is None:
            return  # a frame that was in flight when the camera stopped
        pixmap = QPixmap.fromImage(image).scaled(
            self.preview.size(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.preview.setPixmap(pixmap)

    def _camera_done(self, outcome: object) -> None:
        assert isinstance(outcome, camera.ScanOutcome)
        self._scanner = None
        self._camera_stopped()
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
        """Run ``work`` on the worker; ``handler`` gets its result (or exception) on the GUI
        thread, unless a newer job of the same kind has started since."""
        if self._closed:
            return
        self._job += 1
        token = self._job
        self._latest[kind] = token
        self._job_handlers[token] = (kind, handler)
        relay = self._relay

        def finished(future: Future[object]) -> None:
            error = future.exception()
            with contextlib.suppress(RuntimeError):
                relay.jobDone.emit(token, error if error is not None else future.result())

        self._pool.submit(work).add_done_callback(finished)

    def _job_done(self, token: int, value: object) -> None:
        kind, handler = self._job_handlers.pop(token, ("", None))
        if handler is not None and not self._closed and self._latest.get(kind) == token:
            handler(value)

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
        self.pin_field.clear()
        self.pin_error.clear()
        self._pages.setCurrentIndex(1)
        self.pin_field.setFocus()
        if self._pin_prompt is not None:
            pin = self._pin_prompt(self)
            if pin:
                self._unlock(pin)

    def _pin_changed(self, text: str) -> None:
        self.unlock_button.setEnabled(len(text) >= qr_format.PIN_MIN_DIGITS)

    def _unlock_clicked(self) -> None:
        pin = self.pin_field.text()
        if len(pin) < qr_format.PIN_MIN_DIGITS:
            return
        self._unlock(pin)

    def _unlock(self, pin: str) -> None:
        sealed = self._sealed
        if sealed is None:
            return
        self.pin_field.clear()
        self.unlock_button.setEnabled(False)
        self.pin_field.setEnabled(False)
        self.pin_error.setStyleSheet("")
        self.pin_error.setText(self.tr("Checking the PIN…"))
        self._run(lambda: sealed.open(pin), self._unlocked)

    def _unlocked(self, value: object) -> None:
        self.pin_field.setEnabled(True)
        if isinstance(value, SipAccountCode):
            self._sealed = None
            self._confirm(value)
            return
        if isinstance(value, VicifastError):  # WrongPin, ExpiredCode, MalformedAccount…
            message = str(value)
        else:
            message = self.tr("This code could not be opened. Ask your supervisor for a new one.")
        self.pin_error.setStyleSheet(self._error_style())
        self.pin_error.setText(message)
        self.pin_field.setFocus()

    def _confirm(self, code: SignInCode | SipAccountCode) -> None:
        self._pending = code
        while self.confirm_form.rowCount():
            self.confirm_form.removeRow(0)
        rows: list[tuple[str, str]] = []
        if isinstance(code, SignInCode):
            self.confirm_title.setText(f"<h3>{self.tr('Fill in the sign-in form?')}</h3>")
            self.confirm_text.setText(
                self.tr("This code fills in the sign-in form. You still type your password.")
            )
            rows.append((self.tr("Company code"), code.company))
            if code.username:
                rows.append((self.tr("User name"), code.username))
            if code.uses_custom_api:
                rows.append((self.tr("Control plane"), _host_of(code.api)))
                self.confirm_text.setText(
                    self.confirm_text.text()
                    + " "
                    + self.tr("It points the app at a control plane other than VICIfast's.")
                )
            if code.exp is not None:
                rows.append((self.tr("Valid until"), _local_time(code.exp)))
        else:
            self.confirm_title.setText(f"<h3>{self.tr('Use this SIP account?')}</h3>")
            self.confirm_text.setText(
                self.tr("The phone will register this account with the server below.")
            )
            port = str(code.port) if code.port else self.tr("default")
            rows += [
                (self.tr("Server host"), code.server),
                (self.tr("Port"), port),
                (self.tr("Extension"), code.extension),
                (self.tr("Transport"), code.transport.value.upper()),
                (self.tr("Media encryption (SRTP)"), code.srtp.value),
            ]
            if code.display_name:
                rows.append((self.tr("Display name"), code.display_name))
            rows.append((self.tr("Code valid until"), _local_time(code.exp)))
        for label, value in rows:
            field = QLabel(value)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setAccessibleName(label)
            self.confirm_form.addRow(QLabel(label + ":"), field)
        self._pages.setCurrentIndex(2)
        self.apply_button.setFocus()

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
        self.pin_field.clear()

    # ---- status and closing --------------------------------------------------------------------

    def _set_status(self, text: str) -> None:
        self.status.setStyleSheet("")
        self.status.setText(text)

    def _set_error(self, text: str) -> None:
        self._pages.setCurrentIndex(0)
        self.status.setStyleSheet(self._error_style())
        self.status.setText(text)

    def _error_style(self) -> str:
        dark = self.palette().window().color().lightness() < 128
        return f"color: {'#ff8a80' if dark else '#b3261e'}; font-weight: 600;"

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
        self._stop_camera()
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        self._forget_code()
        self._job_handlers.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _host_of(api: str) -> str:
    parts = urlsplit(api)
    host = parts.hostname or api
    return f"{host}:{parts.port}" if parts.port else host


def _local_time(stamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))
