"""Helpers for tests that drive the real SIP engine: an event recorder with bounded waits."""
