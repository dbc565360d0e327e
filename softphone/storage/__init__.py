"""Local storage: the keychain store (``keychain``, its errors in ``errors``) and the encrypted
call history.

``softphone.storage.keychain`` imports keyring; import it where a store is built (the composition
root, tools), not from code that only needs the ``SecretStore`` protocol of ``softphone.core``.
"""
