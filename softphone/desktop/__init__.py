"""The desktop around the app, Qt-free: :mod:`.assets` (icons and other resources),
:mod:`.autostart` (launch at login), :mod:`.link_handler` (``sip:``/``tel:``/``callto:``
links), :mod:`.deployment` (IT's ``vicifast-phone.ini``), :mod:`.children` (child processes
that die with the app), :mod:`.hardening` (no core dumps, not traceable)."""
