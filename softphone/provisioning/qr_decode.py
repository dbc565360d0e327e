"""Reading QR codes from images: interchangeable decoders and a scan that tries harder when needed.

``scan_image`` runs the decoder once on the frame as it is (the fast path: about a millisecond on
a 720p frame); only when that finds nothing does it go through harder passes (inverted, adaptive
thresholds, a sharpened copy, contrast equalisation, a half-scale copy, a global binarizer, 1.5×,
2× and 3× copies, last locally normalised 2× copies), stopping at the first pass that yields an
acceptable code. By default only structurally valid ``vicifast://`` codes are acceptable, so a
misread or a foreign code in the same frame is never returned as ours.

Runs on any thread but the GUI's (decoding is blocking work). Holds no frame after it returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from softphone.provisioning import qr_format, qr_image
from softphone.provisioning.qr_errors import (
    ExpiredCode,
    ImageTooLarge,
    InsecureApiUrl,
    NotAnImage,
    QrDecoderUnavailable,
    QrError,
    QrImageError,
)

Image = npt.NDArray[Any]  # 8-bit; cv2 returns loosely typed arrays
Accept = Callable[[str], bool]
MAX_IMAGE_PIXELS: Final = qr_image.MAX_PIXELS


class QrDecoder(Protocol):
    """Finds QR codes in an 8-bit grayscale image; returns their texts (possibly none)."""

    name: str

    def decode(self, gray: Image) -> list[str]: ...


class ZxingDecoder:
    """zxing-cpp: the default; fast and the most robust of the three on hard frames."""

    name = "zxing"

    def __init__(self) -> None:
        import zxingcpp

        self._zx: Any = zxingcpp
        self._binarizers = {
            "local": zxingcpp.Binarizer.LocalAverage,
            "global": zxingcpp.Binarizer.GlobalHistogram,
        }

    def decode(self, gray: Image, *, binarizer: str = "local", downscale: bool = True) -> list[str]:
        found = self._zx.read_barcodes(
            gray,
            formats=self._zx.BarcodeFormat.QRCode,
            try_rotate=False,  # QR finder patterns work at any angle; this is for 1D codes
            try_invert=False,  # inverted codes have a pass of their own
            try_downscale=downscale,
            binarizer=self._binarizers[binarizer],
        )
        return [str(r.text) for r in found if r.valid]


class ZbarDecoder:
    """ZBar through pyzbar (needs the libzbar0 system library)."""

    name = "zbar"

    def __init__(self) -> None:
        try:
            from pyzbar import pyzbar  # type: ignore[import-untyped]
        except (ImportError, OSError):
            raise QrDecoderUnavailable(
                "The zbar decoder needs the ZBar library: install libzbar0 (Debian/Ubuntu), "
                "zbar (Homebrew, Fedora), or choose the zxing decoder."
            ) from None
        self._pyzbar: Any = pyzbar

    def decode(self, gray: Image) -> list[str]:
        found = self._pyzbar.decode(gray, symbols=[self._pyzbar.ZBarSymbol.QRCODE])
        texts = []
        for symbol in found:
            try:
                texts.append(qr_format.text_from_bytes(bytes(symbol.data)))
            except QrError:
                continue
        return texts


class OpenCvDecoder:
    """OpenCV's QRCodeDetector (no extra library; the slowest and least robust here)."""

    name = "opencv"

    def __init__(self) -> None:
        # The ArUco-based detector first: the classic one misses about one clean, generated
        # SIP account code in ten (measured on 30 fresh codes: 27/30 against 30/30).
        self._detectors: tuple[Any, ...] = (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector())

    def decode(self, gray: Image) -> list[str]:
        for detector in self._detectors:
            try:
                ok, texts, _points, _straight = detector.detectAndDecodeMulti(gray)
            except cv2.error:
                continue
            found = [str(t) for t in texts if t] if ok else []
            if found:
                return found
        return []


DECODERS: Final[dict[str, Callable[[], QrDecoder]]] = {
    "zxing": ZxingDecoder,
    "zbar": ZbarDecoder,
    "opencv": OpenCvDecoder,
}


def make_decoder(name: str = "zxing") -> QrDecoder:
    try:
        factory = DECODERS[name]
    except KeyError:
        raise QrDecoderUnavailable(
            f"Unknown QR decoder '{name}': choose one of {', '.join(DECODERS)}."
        ) from None
    return factory()


# ---- what counts as a hit --------------------------------------------------------------------


def is_vicifast_code(text: str) -> bool:
    """Structurally valid v1 code. An expired one, or one pointing at a non-https control plane,
    still counts: the user is told why it is refused rather than "no code found"."""
    try:
        qr_format.parse(text, check_expiry=False)
    except (ExpiredCode, InsecureApiUrl):
        return True
    except QrError:
        return False
    return True


def any_text(text: str) -> bool:
    return bool(text)


# ---- the scan ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanResult:
    text: str
    decoder: str
    pass_name: str  # which preprocessing found it ("as-is" on the fast path)
    elapsed_ms: float


def to_gray(image: Image) -> Image:
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise QrImageError("The image must be 8-bit grayscale, BGR or BGRA.")
    if image.ndim == 2:
        return image
    channels = image.shape[2]
    if channels == 1:
        return np.ascontiguousarray(image[:, :, 0])
    if channels == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if channels == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise QrImageError("The image must be 8-bit grayscale, BGR or BGRA.")


def load_image(path: str | Path) -> Image:
    """Read an image file as grayscale; a clear error when it is missing or not an image.

    The file's size and the pixel count its header declares are checked before decoding
    (:mod:`qr_image`), so a small file cannot make the decoder allocate gigabytes."""
    data = qr_image.read_image_file(path)
    qr_image.check_dimensions(data, path)
    not_an_image = f"{path} is not an image this app can read (PNG, JPEG, WebP, BMP or GIF)."
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    except cv2.error:  # OpenCV's own limits, a corrupt stream
        raise NotAnImage(not_an_image) from None
    if image is None or image.size == 0:
        raise NotAnImage(not_an_image)
    return image


def _harder_passes(
    gray: Image, colour: Image | None = None, *, enlarged: bool = True
) -> Iterator[tuple[str, Image, str]]:
    """Preprocessed copies and the zxing binarizer for each, cheapest and most often useful
    first: inverted for light-on-dark codes (a whole kind the fast path never reads), adaptive
    thresholds against moiré, JPEG blocks and glare halos, sharpening against blur, a
    darkest-of-smoothed copy against screen subpixel grids, local contrast against low contrast,
    half scale against noise, global thresholds, 1.5× for small codes; with ``enlarged``, 2× and
    3× copies for codes of about 2.5 pixels a module. Chosen on bench/qr.py's set and on
    bench/qr_hardset.py's tuning seeds."""
    yield "inverted", cv2.bitwise_not(gray), "local"
    yield "adaptive", _adaptive(cv2.GaussianBlur(gray, (0, 0), 0.8), 21, 4), "global"
    yield "sharpened", _sharpen(gray, 2.0, 1.0), "local"
    yield "adaptive-fine", _adaptive(gray, 21, 5), "global"
    yield "darkest-smoothed", cv2.min(gray, cv2.GaussianBlur(gray, (0, 0), 1.0)), "local"
    yield "adaptive-smoothed", _adaptive(cv2.GaussianBlur(gray, (0, 0), 1.2), 15, 2), "global"
    small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    yield "half-sharpened", _sharpen(small, 1.0, 1.5), "local"
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    yield "clahe", clahe.apply(gray), "local"
    yield "otsu", cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1], "local"
    yield GLOBAL_PASS, gray, "global"
    yield "sharpened-global", _sharpen(gray, 1.5, 1.0), "global"  # motion blur at 2.5 px
    if gray.shape[0] * gray.shape[1] <= 2_000_000:
        big = cv2.resize(gray, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
        yield "upscaled", big, "local"
        yield "upscaled-sharpened", _sharpen(big, 3.0, 1.0), "local"
        yield "upscaled-clahe", clahe.apply(big), "local"
    if enlarged and gray.shape[0] * gray.shape[1] <= ENLARGED_MAX_PIXELS:
        yield from _enlarged_passes(gray, colour)


ENLARGED_MAX_PIXELS: Final = 1_000_000  # a 720p frame; 3× a 1080p one would cost too much


def _enlarged_passes(gray: Image, colour: Image | None) -> Iterator[tuple[str, Image, str]]:
    """2× and 3× copies (zxing only: they cost the other decoders seconds). The moiré ones use
    an equal-weight grey when there is a colour frame: BT.601 weighs a screen's R, G and B
    subpixel columns 0.30/0.59/0.11, so their grid aliases into stripes the equal weights
    do not see. Last, locally normalised copies, for moiré at about 2.5 pixels a module and
    glare on JPEG-damaged frames (chosen on bench/qr_hardset.py's tuning seeds)."""
    big = _enlarge(gray, 2)
    yield "doubled", big, "local"
    yield "doubled-sharpened", _sharpen(big, 2.0, 1.5), "local"
    yield "doubled-dilated", cv2.dilate(big, np.ones((3, 3), np.uint8)), "local"
    yield "doubled-inverted", cv2.bitwise_not(big), "local"
    even = gray
    if colour is not None:
        weights = np.zeros((1, colour.shape[2]), np.float32)
        weights[0, :3] = 1 / 3
        even = cv2.transform(colour, weights)
        big_even = _enlarge(even, 2)
        yield "doubled-even-grey-smoothed", cv2.GaussianBlur(big_even, (0, 0), 1.5), "local"
        yield "doubled-even-grey-dilated", cv2.dilate(big_even, np.ones((3, 3), np.uint8)), "local"
    tripled = _enlarge(even, 3)
    yield "tripled", tripled, "local"
    yield "tripled-median", cv2.medianBlur(cv2.medianBlur(tripled, 5), 5), "local"  # moiré
    # Last: each pixel against the mean and spread of its neighbourhood (a few modules), which
    # flattens a glare spot's halo and a screen's banding alike; doubled. The soft one keeps
    # more grey levels (glare on JPEG blocks), the others are all but black and white (moiré).
    contrast = _local_contrast(gray, 15)
    yield "doubled-normalised-soft", _enlarge(_grey_levels(contrast, 30), 2), "local"
    yield "doubled-normalised", _enlarge(_grey_levels(contrast, 60), 2), "global"
    finer = _local_contrast(gray, 11)
    yield "doubled-normalised-fine", _enlarge(_grey_levels(finer, 60), 2), "global"


def _local_contrast(gray: Image, block: int) -> Image:
    """How many local standard deviations each pixel is above its ``block``-pixel mean."""
    pixels = gray.astype(np.float32)
    above = pixels - cv2.blur(pixels, (block, block))
    spread = cv2.sqrt(np.maximum(cv2.blur(above * above, (block, block)), 0)) + 3
    contrast: Image = above / spread
    return contrast


def _grey_levels(contrast: Image, gain: float) -> Image:
    levels: Image = np.clip(contrast * gain + 128, 0, 255).astype(np.uint8)
    return levels


def _enlarge(gray: Image, factor: int) -> Image:
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def _sharpen(gray: Image, sigma: float, amount: float) -> Image:
    blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
    return cv2.addWeighted(gray, 1.0 + amount, blurred, -amount, 0)


def _adaptive(gray: Image, block: int, offset: int) -> Image:
    """Black and white against the mean of a ``block``-pixel neighbourhood (a few modules)."""
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, offset
    )


GLOBAL_PASS: Final = "global-binarizer"  # the same image through zxing's other binarizer


def scan_gray(
    gray: Image,
    decoder: QrDecoder,
    *,
    accept: Accept = is_vicifast_code,
    try_harder: bool = True,
    colour: Image | None = None,
) -> ScanResult | None:
    """The first acceptable code in a grayscale frame, or None. ``colour``, the same frame in
    BGR or BGRA when there is one, gives the harder passes one more grey to try."""
    started = time.perf_counter()

    def first(texts: Sequence[str]) -> str | None:
        return next((t for t in texts if accept(t)), None)

    found = first(decoder.decode(gray))
    pass_name = "as-is"
    if found is None and try_harder:
        passes = _harder_passes(gray, colour, enlarged=isinstance(decoder, ZxingDecoder))
        for pass_name, image, binarizer in passes:
            if isinstance(decoder, ZxingDecoder):
                # 2× and 3× copies are not shrunk back; 1.5× ones are (that reads more)
                shrink = image.shape[0] < 2 * gray.shape[0]
                found = first(decoder.decode(image, binarizer=binarizer, downscale=shrink))
            elif pass_name == GLOBAL_PASS:  # the fast path's image again
                continue
            else:
                found = first(decoder.decode(image))
            if found is not None:
                break
    if found is None:
        return None
    return ScanResult(found, decoder.name, pass_name, (time.perf_counter() - started) * 1000)


def scan_image(
    source: str | Path | Image,
    decoder: str | QrDecoder = "zxing",
    *,
    accept: Accept = is_vicifast_code,
    try_harder: bool = True,
) -> ScanResult | None:
    """Scan a file or a numpy image (grayscale, BGR or BGRA) for one acceptable QR code.

    ``accept`` decides what counts as a hit (default: structurally valid vicifast:// codes;
    ``any_text`` for any QR code). Returns None when nothing acceptable is found.
    """
    chosen = make_decoder(decoder) if isinstance(decoder, str) else decoder
    image = load_image(source) if isinstance(source, (str, Path)) else source
    if image.size > MAX_IMAGE_PIXELS:
        raise ImageTooLarge("The image is too large to scan (more than 40 megapixels).")
    colour = image if image.ndim == 3 and image.shape[2] in (3, 4) else None
    return scan_gray(to_gray(image), chosen, accept=accept, try_harder=try_harder, colour=colour)
