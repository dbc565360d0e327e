"""Scanning: each decoder reads our codes; only vicifast:// codes count; hard frames get passes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from softphone.core.models import SrtpMode, Transport
from softphone.core.secret import Secret
from softphone.provisioning import qr_decode, qr_format, qr_make
from softphone.provisioning.qr_errors import QrDecoderUnavailable, QrImageError

SIGNIN = "vicifast://signin?v=1&c=acme&u=jdoe"


def sip_uri() -> str:
    account = qr_format.SipAccountCode(
        server="pbx.example-callcentre.com",
        port=5060,
        transport=Transport.UDP,
        extension="1001",
        password=Secret("Xk9mP2vL8qR4tZ7w"),
        display_name="Jane Doe",
        srtp=SrtpMode.OFF,
        exp=1798761600,
    )
    return qr_format.encode_sip(account, "12345678", salt=bytes(16), nonce=bytes(12))


def picture(text: str, *, scale: int = 4) -> np.ndarray:
    png = qr_make.render(text, "png", scale=scale)
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    return image


def in_frame(code: np.ndarray, *, angle: float = 0.0) -> np.ndarray:
    frame = np.full((720, 1280, 3), (90, 120, 60), np.uint8)
    h, w = code.shape
    y, x = (720 - h) // 2, (1280 - w) // 2
    frame[y : y + h, x : x + w] = code[:, :, None]
    if angle:
        turn = cv2.getRotationMatrix2D((640, 360), angle, 1.0)
        frame = cv2.warpAffine(frame, turn, (1280, 720), borderValue=(90, 120, 60))
    return frame


@pytest.mark.parametrize("decoder", ["zxing", "zbar", "opencv"])
@pytest.mark.parametrize("kind", ["signin", "sip"])
def test_each_decoder_reads_both_kinds(decoder: str, kind: str) -> None:
    text = SIGNIN if kind == "signin" else sip_uri()
    found = qr_decode.scan_image(in_frame(picture(text)), decoder)
    assert found is not None
    assert found.text == text
    assert found.decoder == decoder


def test_the_fast_path_reads_a_clean_frame_and_rotation_is_fine() -> None:
    found = qr_decode.scan_image(in_frame(picture(sip_uri()), angle=33.0))
    assert found is not None and found.pass_name == "as-is"


def test_a_foreign_code_is_not_a_hit_unless_asked() -> None:
    frame = in_frame(picture("https://example.com/not-ours"))
    assert qr_decode.scan_image(frame) is None
    found = qr_decode.scan_image(frame, accept=qr_decode.any_text)
    assert found is not None and found.text == "https://example.com/not-ours"


def test_a_damaged_vicifast_lookalike_is_not_a_hit() -> None:
    assert qr_decode.scan_image(in_frame(picture("vicifast://sip?v=1&kdf=scrypt&s=x"))) is None


def test_an_expired_code_is_still_read_so_the_user_can_be_told() -> None:
    assert qr_decode.is_vicifast_code("vicifast://signin?v=1&c=acme&exp=1000")


def test_inverted_and_low_contrast_codes_need_the_harder_passes() -> None:
    inverted = in_frame(255 - picture(SIGNIN))
    found = qr_decode.scan_image(inverted)
    assert found is not None and found.pass_name != "as-is"
    assert qr_decode.scan_image(inverted, try_harder=False) is None

    faint = (picture(SIGNIN).astype(np.float32) * 0.12 + 110).astype(np.uint8)
    found = qr_decode.scan_image(in_frame(faint))
    assert found is not None and found.text == SIGNIN


def test_images_from_files_bgr_bgra_and_gray(tmp_path: Path) -> None:
    path = tmp_path / "code.png"
    path.write_bytes(qr_make.render(SIGNIN, "png"))
    found = qr_decode.scan_image(path)
    assert found is not None and found.text == SIGNIN
    gray = picture(SIGNIN)
    for image in (
        gray,
        cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR),
        cv2.cvtColor(gray, cv2.COLOR_GRAY2BGRA),
    ):
        assert qr_decode.scan_image(image) is not None


def test_unreadable_inputs_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(QrImageError, match="no such file"):
        qr_decode.scan_image(tmp_path / "missing.png")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    with pytest.raises(QrImageError, match="not an image"):
        qr_decode.scan_image(junk)
    with pytest.raises(QrImageError):
        qr_decode.scan_image(np.zeros((10, 10), np.float32))
    with pytest.raises(QrDecoderUnavailable, match="choose one of"):
        qr_decode.scan_image(picture(SIGNIN), "quagga")


def test_a_missing_zbar_library_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_zbar(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("pyzbar"):
            raise ImportError("Unable to find zbar shared library")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_zbar)
    with pytest.raises(QrDecoderUnavailable, match="libzbar0"):
        qr_decode.make_decoder("zbar")


def test_a_decoder_error_becomes_our_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 15: OpenCV's own refusals (its pixel limit, a corrupt stream) escaped as cv2.error.
    import cv2

    path = tmp_path / "ok.png"
    cv2.imwrite(str(path), np.full((8, 8), 255, np.uint8))

    def fails(*_: object) -> None:
        raise cv2.error("imdecode failed")

    monkeypatch.setattr(cv2, "imdecode", fails)
    with pytest.raises(QrImageError, match="not an image"):
        qr_decode.load_image(path)
