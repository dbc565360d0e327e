"""The Phone tab and the incoming-call window.

- ``view``: ``PhoneView``, the page put together; it acts through ``PhoneCommands``.
- ``call_tracker``: the calls followed from the engine's events, and how an end is worded.
- ``call_book``: the Qt-free table of calls (on screen, waiting, consulting) it keeps.
- ``status_header``: registration and auto-answer, at the top of the page.
- ``dial_page`` and ``dialpad``: the number field, the 12 keys, Redial and Call.
- ``call_page``: the call on screen and its controls.
- ``call_actions``: the window-wide call keys and the actions that bind them.
- ``incoming_call``: the window that comes forward, without the keyboard, when a call rings.
- ``phone_numbers`` and ``style``: dial-text rules and caller IDs; the few colours of our own.
"""
