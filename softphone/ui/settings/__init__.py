"""The Settings page: :class:`~softphone.ui.settings.view.SettingsView` (``view.py``) puts
together one section per module over the shared base in ``page.py``.

- ``sound.py``: the Sound group (sound system, volumes, level meters, microphone test), with
  ``devices.py`` (the device lists, their re-scan and device notices) and ``ringtone.py`` (the
  ringtone and its preview); ``level_meter.py`` draws a meter
- ``calls.py``: auto-answer and direct calls
- ``startup.py``: start minimised, launch at login, opening sip:/tel:/callto: links
- ``diagnostics.py``: the SIP trace and the diagnostics export
- ``advanced.py``: Scan QR, the custom control plane, transport and SIP library information
"""
