"""The "qt" audio backend on Qt Multimedia: ``backend`` (``QtAudioBackend``, its Qt thread and
how it works around Qt's traps), ``stream`` (one open stream, pumped every 10 ms) and
``devices`` (Qt's devices as the audio layer names them)."""
