"""The scan dialog's Camera tab: which camera, Start/Stop, and the live preview.

Privacy: the camera is open only while a scan runs; it is released the moment a code is read,
when the user stops it, and when the dialog stops it (another tab, closing). Frames go to the
preview label and are dropped.

The scanner reads and decodes on a thread of its own; its frames and its end reach the GUI thread
through the bridge (``post_call`` with this tab as owner, so nothing arrives once it is gone).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from softphone.provisioning import camera
from softphone.ui.bridge import QtBridge
from softphone.ui.qr_scan.images import frame_to_qimage

CameraLister = Callable[[camera.CaptureFactory], list[camera.CameraInfo]]
# The dialog's worker: ``run(work, handler, kind)``; ``handler`` gets the result on the GUI thread.
JobRunner = Callable[[Callable[[], object], Callable[[object], None], str], None]
PREVIEW_SIZE = (480, 360)


class CameraTab(QWidget):
    """Lists the cameras once (:meth:`list_cameras`), runs one scan at a time.

    Emits ``started()`` when a scan starts and ``finished(ScanOutcome)`` when the scanner ends
    (a code read, a failure, or stopped), on the GUI thread.
    """

    started = Signal()
    finished = Signal(object)

    def __init__(
        self,
        bridge: QtBridge,
        run: JobRunner,
        camera_factory: camera.CaptureFactory,
        camera_lister: CameraLister,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._run = run
        self._camera_factory = camera_factory
        self._camera_lister = camera_lister
        self._scanner: camera.CameraScanner | None = None
        self._cameras_listed = False
        self._have_cameras = False

        self.camera_picker = QComboBox(self)
        self.camera_picker.setAccessibleName(self.tr("Camera"))
        self.camera_picker.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        label = QLabel(self.tr("C&amera:"), self)
        label.setBuddy(self.camera_picker)
        self.camera_button = QPushButton(self.tr("Start camera"), self)
        self.camera_button.setAccessibleName(self.tr("Start or stop the camera"))
        self.camera_button.setEnabled(False)
        self.camera_button.clicked.connect(self._toggle_camera)
        self.preview = QLabel(self.tr("The camera is off."), self)
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
            self,
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.preview, 1)
        layout.addWidget(hint)

    def list_cameras(self) -> None:
        """Look for cameras, the first time only (listing does not open one)."""
        if self._cameras_listed:
            return
        self._cameras_listed = True
        self.camera_picker.clear()
        self.camera_picker.addItem(self.tr("Looking for cameras…"))
        self.camera_picker.setEnabled(False)
        self._run(lambda: self._camera_lister(self._camera_factory), self._cameras_found, "cameras")

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
            self.stop()
        else:
            self._start_camera()

    def _start_camera(self) -> None:
        source = self.camera_picker.currentData()
        if source is None:
            return
        bridge = self._bridge

        def on_frame(frame: np.ndarray[Any, Any]) -> None:
            image = frame_to_qimage(frame)  # the frame array is not kept past this call
            bridge.post_call(lambda: self._show_frame(image), owner=self)

        def on_done(outcome: camera.ScanOutcome) -> None:
            bridge.post_call(lambda: self._scan_ended(outcome), owner=self)

        self._scanner = camera.CameraScanner(
            source, on_frame=on_frame, on_done=on_done, capture_factory=self._camera_factory
        )
        self.camera_button.setText(self.tr("Stop camera"))
        self.camera_picker.setEnabled(False)
        self.preview.setText(self.tr("Starting the camera…"))
        self.started.emit()
        self._scanner.start()

    def stop(self) -> None:
        """Stop the scan, if one runs, and clear the preview."""
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

    def _scan_ended(self, outcome: camera.ScanOutcome) -> None:
        self._scanner = None
        self._camera_stopped()
        self.finished.emit(outcome)
