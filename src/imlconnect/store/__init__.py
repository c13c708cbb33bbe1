"""Storage of verified connections and app common data, encrypted at rest with AES-GCM.

`ConnectionStore.open()` opens the database named by the `url` argument or `IMLCONNECT_DB`, or
else the SQLite file in the user data folder. Records come back as `StoredConnection` objects
with their secrets decrypted.
"""

from imlconnect.store.crypto import SECRET_KEY_ENV, KeyringError
from imlconnect.store.paths import DATABASE_ENV
from imlconnect.store.store import ConnectionStatus, ConnectionStore, StoredConnection

__all__ = [
    "DATABASE_ENV",
    "SECRET_KEY_ENV",
    "ConnectionStatus",
    "ConnectionStore",
    "KeyringError",
    "StoredConnection",
]
