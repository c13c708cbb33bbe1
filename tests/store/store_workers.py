"""Child-process bodies for the multi-process store tests (importable under the spawn method)."""

from __future__ import annotations

import hashlib
from multiprocessing.synchronize import Barrier, Event
from typing import Any

from imlconnect.errors import ConflictError
from imlconnect.store import ConnectionStore

#: Characters in each of the two large fields a killed writer saves.
BLOB_CHARS = 400_000


def blob_for(generation: int) -> str:
    seed = hashlib.sha256(str(generation).encode()).hexdigest()
    return (seed * (BLOB_CHARS // len(seed) + 1))[:BLOB_CHARS]


def generation_state(generation: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the parameters and data a writer saves for one generation; each names the other."""
    blob = blob_for(generation)
    digest = hashlib.sha256(blob.encode()).hexdigest()
    parameters = {"generation": generation, "blob": blob}
    data = {"generation": generation, "digest": digest, "tail": blob[::-1]}
    return parameters, data


def race_update(url: str, record_id: str, version: int, writer: str, barrier: Barrier, results: Any) -> None:
    """Read the record, wait for the other writer, then try to save from `version`."""
    with ConnectionStore.open(url) as store:
        seen = store.get(record_id)
        barrier.wait(timeout=30)
        try:
            store.save_verified(
                record_id,
                parameters={"writer": writer},
                data={"writer": writer},
                metadata=None,
                uid=writer,
                expected_version=version,
            )
        except ConflictError:
            results.put((writer, "conflict", seen.version))
        else:
            results.put((writer, "won", seen.version))


def save_forever(url: str, record_id: str, started: Event) -> None:
    """Save a new large generation of the record over and over until the process is killed."""
    with ConnectionStore.open(url) as store:
        while True:
            current = store.get(record_id)
            parameters, data = generation_state(current.version)
            store.save_verified(
                record_id,
                parameters=parameters,
                data=data,
                metadata={"type": "text", "value": f"generation {current.version}"},
                uid=str(current.version),
                expected_version=current.version,
            )
            started.set()
