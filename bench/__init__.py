"""Benchmarks of the softphone against raw pjsua2 and baresip; see bench/README.md."""
