"""The agents' "Scan QR code" dialog (:mod:`.dialog`), one module per part: where to scan from
(:mod:`.sources_page`, with the camera in :mod:`.camera_tab` and the frozen-screen overlay in
:mod:`.screen_region`), the PIN a SIP account code needs (:mod:`.pin_page`), the confirmation
(:mod:`.confirm_page`), and QImage ↔ pixel-array conversions (:mod:`.images`)."""
