"""VICIfast Desktop: a SIP softphone and provisioning companion for VICIdial agents."""

__version__ = "0.1.0"
