"""Demo mode: :mod:`.environment` (the emulator, kamailio and the demo lines for a client),
:mod:`.headless` (``vicifast-phone demo``), :mod:`.card` (the simulated sound card that checks
what the demo hears), :mod:`.loopback` (``demo --loopback``: two accounts of one engine). The
demo lines themselves speak pjsua2, so they live in :mod:`softphone.sip.demo_lines`."""
