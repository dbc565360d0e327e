"""Demo mode: :mod:`.environment` (the emulator, kamailio and the demo lines for a client),
:mod:`.headless` (``vicifast-phone demo``), :mod:`.card` (the simulated sound card that checks
what the demo hears), :mod:`.loopback` (``demo --loopback``: two accounts of one engine) and
:mod:`.lines` (the demo's far end, echo and tone lines: a pjsua2 endpoint in a child process)."""
