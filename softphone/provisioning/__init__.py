"""Sign-in and provisioning: the control-plane and VICIdial-provisioning HTTP clients
(``client``, ``errors``) and the QR provisioning format."""
