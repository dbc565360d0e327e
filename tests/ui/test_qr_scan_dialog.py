"""QrScanDialog: every source leads to a confirmation page; nothing is applied before Apply;
errors show in place; the camera is released on success and on close."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QFormLayout
from pytestqt.qtbot import QtBot

from softphone.core.models import SipAccountConfig, SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import camera, qr_decode, qr_format, qr_make
from softphone.ui.bridge import QtBridge
from softphone.ui.qr_scan.dialog import QrScanDialog

SIGNIN = "vicifast://signin?v=1&c=acme&u=jdoe"
PIN = "48151623"


def sip_uri(*, exp_days: float = 7) -> str:
    account = qr_format.SipAccountCode(
        server="sip.acme.example",
        port=5061,
        transport=Transport.TLS,
        extension="1001",
        password=Secret("s3cret-pw"),
        display_name="Ann Lee",
        srtp=SrtpMode.OPTIONAL,
        exp=qr_make.expiry(exp_days),
    )
    return qr_format.encode_sip(account, PIN)


def code_image(text: str, scale: int = 6) -> QImage:
    return QImage.fromData(qr_make.render(text, "png", scale=scale))


def screen_with_code(text: str, at: QPoint) -> tuple[QImage, QRect]:
    shot = QImage(1600, 1000, QImage.Format.Format_RGB32)
    shot.fill(QColor("#3b4252"))
    code = code_image(text, scale=4)
    painter = QPainter(shot)
    painter.fillRect(QRect(40, 40, 500, 300), QColor("white"))  # a chat window, say
    painter.drawImage(at, code)
    painter.end()
    return shot, QRect(at, code.size())


@pytest.fixture
def make_dialog(qtbot: QtBot, bridge: QtBridge) -> Iterator[Any]:
    made: list[QrScanDialog] = []

    def make(**kwargs: Any) -> QrScanDialog:
        kwargs.setdefault("camera_lister", lambda factory: [])
        kwargs.setdefault("grab_delay_ms", 0)
        dialog = QrScanDialog(bridge, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        made.append(dialog)
        return dialog

    yield make
    for dialog in made:
        dialog.reject()


def wait_page(qtbot: QtBot, dialog: QrScanDialog, page: str) -> None:
    qtbot.waitUntil(lambda: dialog.page_name() == page, timeout=10000)


def test_an_image_file_leads_to_confirmation_and_apply_emits(
    qtbot: QtBot, make_dialog: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "code.png"
    qr_make.write_image(SIGNIN, path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    dialog = make_dialog()
    accepted: list[object] = []
    dialog.signInCodeAccepted.connect(accepted.append)
    dialog.sources.tabs.setCurrentIndex(1)
    qtbot.mouseClick(dialog.sources.file_button, Qt.MouseButton.LeftButton)
    wait_page(qtbot, dialog, "confirm")
    assert dialog.confirmation_rows() == {"Company code": "acme", "User name": "jdoe"}
    assert accepted == []  # nothing applied before Apply
    with qtbot.waitSignal(dialog.signInCodeAccepted) as signal:
        qtbot.mouseClick(dialog.confirm_page.apply_button, Qt.MouseButton.LeftButton)
    assert signal.args == [qr_format.SignInCode(company="acme", username="jdoe")]
    assert dialog.result() == QrScanDialog.DialogCode.Accepted


def test_an_image_without_a_code_says_so_and_stays(
    qtbot: QtBot, make_dialog: Any, tmp_path: Path
) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200), 255, np.uint8))
    dialog = make_dialog()
    dialog.scan_file(str(blank))
    qtbot.waitUntil(lambda: "No VICIfast QR code" in dialog.sources.status.text(), timeout=10000)
    dialog.scan_file(str(tmp_path / "missing.png"))
    qtbot.waitUntil(lambda: "no such file" in dialog.sources.status.text(), timeout=10000)
    assert dialog.page_name() == "sources" and dialog.isVisible()


def test_clipboard_text_and_clipboard_image(qtbot: QtBot, make_dialog: Any) -> None:
    dialog = make_dialog()
    dialog.sources.tabs.setCurrentIndex(3)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("  vicifast://signin?v=1&c=text-co \n")
    qtbot.mouseClick(dialog.sources.clipboard_button, Qt.MouseButton.LeftButton)
    wait_page(qtbot, dialog, "confirm")  # text needs no decoding: at once
    assert dialog.confirmation_rows()["Company code"] == "text-co"

    dialog.back_to_scanning()
    clipboard.setImage(code_image("vicifast://signin?v=1&c=image-co"))
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog.focusWidget() or dialog, "v", Qt.KeyboardModifier.ControlModifier)
    wait_page(qtbot, dialog, "confirm")
    assert dialog.confirmation_rows()["Company code"] == "image-co"

    dialog.back_to_scanning()
    clipboard.setText("https://example.com/not-ours")
    dialog.scan_clipboard()
    assert "not a VICIfast code" in dialog.sources.status.text()


def test_a_screen_region_dragged_over_the_frozen_screen(qtbot: QtBot, make_dialog: Any) -> None:
    shot, code_rect = screen_with_code(SIGNIN, QPoint(700, 420))
    grabs: list[int] = []

    def grabber() -> QImage:
        grabs.append(1)
        return shot

    dialog = make_dialog(screen_grabber=grabber)
    dialog.sources.tabs.setCurrentIndex(2)
    qtbot.mouseClick(dialog.sources.region_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.region_selector() is not None, timeout=5000)
    assert not dialog.isVisible()  # hidden so it does not cover the code
    selector = dialog.region_selector()
    assert selector is not None
    qtbot.waitUntil(lambda: selector.width() > 0)
    sx = shot.width() / selector.width()
    sy = shot.height() / selector.height()
    grown = code_rect.adjusted(-30, -30, 30, 30)
    start = QPoint(int(grown.left() / sx), int(grown.top() / sy))
    end = QPoint(int(grown.right() / sx), int(grown.bottom() / sy))
    qtbot.mousePress(selector, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(selector, end)
    qtbot.mouseRelease(selector, Qt.MouseButton.LeftButton, pos=end)
    wait_page(qtbot, dialog, "confirm")
    assert dialog.isVisible() and grabs == [1]
    assert dialog.confirmation_rows()["Company code"] == "acme"


def test_a_region_without_the_code_and_the_whole_screen(qtbot: QtBot, make_dialog: Any) -> None:
    shot, _ = screen_with_code(SIGNIN, QPoint(1100, 600))
    dialog = make_dialog(screen_grabber=lambda: shot)
    dialog.scan_screen(whole=False)
    qtbot.waitUntil(lambda: dialog.region_selector() is not None, timeout=5000)
    selector = dialog.region_selector()
    assert selector is not None
    qtbot.mousePress(selector, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.mouseRelease(selector, Qt.MouseButton.LeftButton, pos=QPoint(120, 120))
    qtbot.waitUntil(lambda: "No VICIfast QR code" in dialog.sources.status.text(), timeout=10000)

    qtbot.mouseClick(dialog.sources.whole_button, Qt.MouseButton.LeftButton)
    wait_page(qtbot, dialog, "confirm")


def test_screen_capture_refused_by_the_platform_is_explained(
    qtbot: QtBot, make_dialog: Any
) -> None:
    dialog = make_dialog(screen_grabber=QImage)
    dialog.scan_screen(whole=True)
    qtbot.waitUntil(lambda: "Wayland" in dialog.sources.status.text(), timeout=5000)
    assert dialog.isVisible()


def test_closing_drops_the_queued_scans_and_the_running_one_s_result(
    qtbot: QtBot, make_dialog: Any, bridge: QtBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    started: list[str] = []

    def scan_image(source: object, *args: Any, **kwargs: Any) -> None:
        started.append(str(source))
        release.wait(10)
        return None  # "no code here": an error on the dialog, were it delivered

    monkeypatch.setattr(qr_decode, "scan_image", scan_image)
    dialog = make_dialog()
    dialog.scan_file("first.png")
    dialog.scan_file("second.png")
    qtbot.waitUntil(lambda: started == ["first.png"], timeout=5000)
    dialog.reject()
    release.set()
    dialog._lane._pool.shutdown(wait=True)  # the running scan ends and posts its result
    flushed: list[bool] = []
    bridge.post_call(lambda: flushed.append(True))  # queued behind that result
    qtbot.waitUntil(lambda: bool(flushed), timeout=5000)
    assert started == ["first.png"]  # the queued scan never ran
    assert "No VICIfast QR code" not in dialog.sources.status.text()


def test_a_custom_control_plane_is_refused_unless_allowed(qtbot: QtBot, make_dialog: Any) -> None:
    custom = "vicifast://signin?v=1&c=acme&api=https://cp.acme.example:8443/v1"
    refusing = make_dialog()
    refusing.scan_text(custom)
    assert refusing.page_name() == "sources"
    assert "another control plane" in refusing.sources.status.text()
    assert "Settings" in refusing.sources.status.text()

    allowing = make_dialog(allow_custom_control_planes=True)
    allowing.scan_text(custom)
    assert allowing.page_name() == "confirm"
    assert allowing.confirmation_rows()["Control plane"] == "cp.acme.example:8443"
    with qtbot.waitSignal(allowing.signInCodeAccepted) as signal:
        allowing.confirm_page.apply_button.click()
    assert signal.args[0].api == "https://cp.acme.example:8443/v1"


def test_a_sip_code_asks_for_the_pin_a_wrong_one_can_be_retried(
    qtbot: QtBot, make_dialog: Any
) -> None:
    dialog = make_dialog()
    dialog.scan_text(sip_uri())
    assert dialog.page_name() == "pin"
    page = dialog.pin_page
    assert page.pin_field.echoMode() == page.pin_field.EchoMode.Password
    qtbot.keyClicks(page.pin_field, "12345")
    assert not page.unlock_button.isEnabled()  # fewer than 6 digits
    qtbot.keyClicks(page.pin_field, "6x")  # letters are not taken
    assert page.pin_field.text() == "123456" and page.unlock_button.isEnabled()
    qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "does not open this code" in page.pin_error.text(), timeout=10000)
    assert dialog.page_name() == "pin" and page.pin_field.text() == ""
    assert page.pin_field.isEnabled()
    assert "Traceback" not in page.pin_error.text() and "123456" not in page.pin_error.text()

    qtbot.keyClicks(page.pin_field, PIN)
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    wait_page(qtbot, dialog, "confirm")
    rows = dialog.confirmation_rows()
    assert rows["Server host"] == "sip.acme.example"
    assert rows["Extension"] == "1001" and rows["Transport"] == "TLS" and rows["Port"] == "5061"
    assert "Code valid until" in rows
    assert all("s3cret" not in value for value in rows.values())
    with qtbot.waitSignal(dialog.sipAccountAccepted) as signal:
        dialog.confirm_page.apply_button.click()
    config = signal.args[0]
    assert isinstance(config, SipAccountConfig)
    assert config.domain == "sip.acme.example" and config.password.reveal() == "s3cret-pw"


def test_an_injected_pin_prompt_and_an_expired_code(qtbot: QtBot, make_dialog: Any) -> None:
    dialog = make_dialog(pin_prompt=lambda parent: PIN)
    dialog.scan_text(sip_uri(exp_days=-1))
    qtbot.waitUntil(lambda: "expired" in dialog.pin_page.pin_error.text(), timeout=10000)
    assert "supervisor" in dialog.pin_page.pin_error.text()
    dialog.scan_text("vicifast://signin?v=2&c=acme")
    assert "version" in dialog.sources.status.text()


class FakeCamera:
    """Blank frames until ``show_code`` is set, then frames with a code; records release()."""

    def __init__(self, code: np.ndarray) -> None:
        self.show_code = threading.Event()
        self.released = threading.Event()
        self.releases = 0
        self.code = code
        self.blank = np.full(code.shape, 128, np.uint8)

    def isOpened(self) -> bool:
        return True

    def read(self) -> tuple[bool, Any]:
        if self.released.is_set():
            raise AssertionError("read after release")
        return True, (self.code if self.show_code.is_set() else self.blank).copy()

    def release(self) -> None:
        self.releases += 1
        self.released.set()


def camera_frame(text: str) -> np.ndarray:
    png = np.frombuffer(qr_make.render(text, "png", scale=4), np.uint8)
    code = cv2.imdecode(png, cv2.IMREAD_COLOR)
    frame = np.full((360, 480, 3), 200, np.uint8)
    frame[40 : 40 + code.shape[0], 100 : 100 + code.shape[1]] = code
    return frame


@pytest.fixture
def fake_camera() -> tuple[list[FakeCamera], Any]:
    made: list[FakeCamera] = []

    def factory(source: camera.Source) -> FakeCamera:
        assert source == 0
        made.append(FakeCamera(camera_frame(SIGNIN)))
        return made[-1]

    return made, factory


def camera_dialog(make_dialog: Any, factory: Any) -> QrScanDialog:
    dialog: QrScanDialog = make_dialog(
        camera_factory=factory,
        camera_lister=lambda f: [camera.CameraInfo(0, "Fake camera")],
    )
    return dialog


def test_camera_preview_updates_and_closing_releases_the_camera(
    qtbot: QtBot, make_dialog: Any, fake_camera: Any
) -> None:
    made, factory = fake_camera
    dialog = camera_dialog(make_dialog, factory)
    qtbot.waitUntil(dialog.camera.camera_button.isEnabled, timeout=5000)
    assert dialog.camera.camera_picker.currentText() == "Fake camera"
    assert made == []  # listing did not open it; only Start does
    qtbot.mouseClick(dialog.camera.camera_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.camera.preview.pixmap().isNull(), timeout=5000)
    assert made[0].releases == 0
    dialog.reject()  # returns at once: the scanner's thread releases the camera as it ends
    qtbot.waitUntil(lambda: made[0].releases == 1, timeout=5000)
    assert dialog.camera.preview.pixmap().isNull()  # no frame left on screen


def test_camera_reads_a_code_releases_at_once_and_confirms(
    qtbot: QtBot, make_dialog: Any, fake_camera: Any
) -> None:
    made, factory = fake_camera
    dialog = camera_dialog(make_dialog, factory)
    qtbot.waitUntil(dialog.camera.camera_button.isEnabled, timeout=5000)
    dialog.camera.camera_button.click()
    qtbot.waitUntil(
        lambda: bool(made) and not dialog.camera.preview.pixmap().isNull(), timeout=5000
    )
    made[0].show_code.set()
    wait_page(qtbot, dialog, "confirm")
    assert made[0].releases == 1 and made[0].released.is_set()
    assert dialog.confirmation_rows()["Company code"] == "acme"
    assert dialog.camera.preview.pixmap().isNull()
    dialog.reject()
    assert made[0].releases == 1


def test_switching_away_from_the_camera_tab_releases_it(
    qtbot: QtBot, make_dialog: Any, fake_camera: Any
) -> None:
    made, factory = fake_camera
    dialog = camera_dialog(make_dialog, factory)
    qtbot.waitUntil(dialog.camera.camera_button.isEnabled, timeout=5000)
    dialog.camera.camera_button.click()
    qtbot.waitUntil(lambda: bool(made), timeout=5000)
    dialog.sources.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: made[0].releases == 1, timeout=5000)
    assert dialog.camera.camera_button.text() == "Start camera"


def test_no_camera_is_explained(qtbot: QtBot, make_dialog: Any) -> None:
    dialog = make_dialog()
    qtbot.waitUntil(lambda: "No camera found" in dialog.camera.preview.text(), timeout=5000)
    assert not dialog.camera.camera_button.isEnabled()


@pytest.mark.parametrize("api", ["http://127.0.0.7:8443", "http://localhost:8443/vicifast"])
def test_a_plain_http_control_plane_is_refused_even_where_custom_ones_are_allowed(
    qtbot: QtBot, make_dialog: Any, api: str
) -> None:
    dialog = make_dialog(allow_custom_control_planes=True)
    with qtbot.assertNotEmitted(dialog.signInCodeAccepted):
        dialog.scan_text(f"vicifast://signin?v=1&c=acme&api={api}")
    assert dialog.page_name() == "sources"  # no confirmation page, nothing to apply
    assert "not an https:// address" in dialog.sources.status.text()
    assert "new one" in dialog.sources.status.text()


def test_enter_after_a_wrong_pin_stays_on_the_pin_page_and_the_right_pin_opens_the_code(
    qtbot: QtBot, make_dialog: Any
) -> None:
    # The window must be active: only then does focus really move when the field locks while
    # the PIN is tried, which is what once made the same Enter press "Back".
    dialog = make_dialog()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.scan_text(sip_uri())
    assert dialog.page_name() == "pin"
    page = dialog.pin_page
    qtbot.waitUntil(page.pin_field.hasFocus)
    qtbot.keyClicks(page.pin_field, "999999")
    qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "does not open this code" in page.pin_error.text(), timeout=10000)
    assert dialog.page_name() == "pin"  # the scanned code is kept
    assert page.pin_field.isEnabled() and page.pin_field.hasFocus()
    assert page.pin_field.text() == ""  # ready to retype

    qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)  # nothing typed yet: says so, stays
    assert dialog.page_name() == "pin"
    assert "6 to 12 digits" in page.pin_error.text()

    qtbot.keyClicks(page.pin_field, PIN)
    qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)
    wait_page(qtbot, dialog, "confirm")
    assert dialog.confirmation_rows()["Extension"] == "1001"
    with qtbot.waitSignal(dialog.sipAccountAccepted) as signal:
        qtbot.keyClick(dialog.confirm_page.apply_button, Qt.Key.Key_Return)
    assert signal.args[0].password.reveal() == "s3cret-pw"


def test_a_wrong_pin_by_click_or_by_enter_says_the_same(qtbot: QtBot, make_dialog: Any) -> None:
    def wrong_pin_message(press: str) -> str:
        dialog = make_dialog()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        dialog.scan_text(sip_uri())
        page = dialog.pin_page
        qtbot.keyClicks(page.pin_field, "999999")
        if press == "click":
            qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
        else:
            qtbot.keyClick(page.pin_field, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
        qtbot.waitUntil(lambda: "Checking" not in page.pin_error.text(), timeout=10000)
        assert dialog.page_name() == "pin"
        message: str = page.pin_error.text()
        dialog.reject()
        return message

    by_click, by_enter = wrong_pin_message("click"), wrong_pin_message("enter")
    assert by_click == by_enter and "does not open this code" in by_click


def _gap_above(widget: Any, above: Any, dialog: QrScanDialog) -> int:
    """Pixels of empty space between the bottom of ``above`` and the top of ``widget``."""
    top = widget.mapTo(dialog, QPoint(0, 0)).y()
    bottom = above.mapTo(dialog, QPoint(0, above.height())).y()
    return int(top - bottom)


def test_the_pin_and_confirm_pages_fit_the_dialog_and_scanning_gets_its_size_back(
    qtbot: QtBot, make_dialog: Any
) -> None:
    dialog = make_dialog()
    dialog.resize(640, 600)  # the person made it bigger for the camera
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    centre = dialog.geometry().center()
    QGuiApplication.clipboard().setText(sip_uri())
    qtbot.keyClick(dialog, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # paste the code
    wait_page(qtbot, dialog, "pin")
    page = dialog.pin_page
    qtbot.waitUntil(lambda: dialog.height() < 300, timeout=5000)
    assert dialog.width() < 560  # not the camera page's size: the PIN field floats in nothing
    assert _gap_above(page.back_button, page.pin_error, dialog) < 40
    assert page.pin_field.isVisible() and page.unlock_button.isVisible()
    assert (dialog.geometry().center() - centre).manhattanLength() <= 2  # shrunk in place

    qtbot.keyClicks(page.pin_field, PIN)
    qtbot.keyClick(page.pin_field, Qt.Key.Key_Return)  # Enter unlocks
    wait_page(qtbot, dialog, "confirm")
    confirm = dialog.confirm_page
    form = confirm.confirm_form
    last_row = form.itemAt(form.rowCount() - 1, QFormLayout.ItemRole.FieldRole).widget()
    assert last_row.isVisible() and dialog.height() < 400
    assert _gap_above(confirm.back_button, last_row, dialog) < 40

    qtbot.mouseClick(confirm.back_button, Qt.MouseButton.LeftButton)
    wait_page(qtbot, dialog, "sources")
    assert (dialog.width(), dialog.height()) == (640, 600)  # the camera page's size again

    dialog.scan_text(SIGNIN)
    wait_page(qtbot, dialog, "confirm")
    assert dialog.height() < 300
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.confirm_page.apply_button, Qt.Key.Key_Escape)  # Escape closes
