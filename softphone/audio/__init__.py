"""Audio between the SIP engine and the OS: drift-compensating ring buffers and device backends.

Qt-free and pjsua2-free (an import-linter contract keeps it so); ``softphone.sip.audio_port``
connects the rings to pjsua2's conference bridge.
"""
