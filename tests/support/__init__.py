"""Helpers that run real SIP peers (kamailio, sipp, baresip) for integration tests.

Conventions for a UA under test (see tests/integration/conftest.py for fixtures):

- Register as sip:<user>@<kamailio.domain> (default domain "127.0.0.1", users and
  passwords from the kamailio users map, realm = domain) at 127.0.0.1:<port>, where
  port = kamailio.port("udp" | "tcp" | "tls"); for TLS verify with kamailio.ca_pem.
  Either REGISTER sip:127.0.0.1:<port> directly, or use kamailio as outbound proxy
  (sip:127.0.0.1:<port>;transport=...;lr) and REGISTER sip:<domain>.
- Call a registered user: sip:<user>@<domain> (via the proxy) or
  sip:<user>@127.0.0.1:<port> (kamailio.user_uri). Unregistered local user: 404.
- Call a sipp UAS: its own address, sip:service@127.0.0.1:<sipp port>
  (SippProcess.uri()); with kamailio as proxy the request is relayed there and
  record-routed, so in-dialog requests must follow the Route set.
"""
