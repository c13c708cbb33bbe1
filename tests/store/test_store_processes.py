"""Several processes on one store: a compare-and-swap race and writers killed mid-save."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import time
from pathlib import Path
from types import ModuleType

import pytest

from imlconnect.store import ConnectionStore

SPAWN = multiprocessing.get_context("spawn")
KILL_ROUNDS = 4
CHILD_START_TIMEOUT = 60.0


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import the worker module from this folder so spawned children can import it too."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    import store_workers

    return store_workers


def stop(process: multiprocessing.process.BaseProcess) -> None:
    if process.is_alive():
        process.kill()
    process.join(timeout=10)


def test_two_process_race(db_url: str, workers: ModuleType) -> None:
    with ConnectionStore.open(db_url) as store:
        record = store.create(
            app="acme", name="acme-key", label="Acme", parameters={}, data={}, metadata=None, uid=None
        )
        store.save_verified(
            record.id, parameters={}, data={"step": 2}, metadata=None, uid=None, expected_version=1
        )
        version = store.get(record.id).version

    barrier = SPAWN.Barrier(2)
    results = SPAWN.Queue()
    processes = [
        SPAWN.Process(target=workers.race_update, args=(db_url, record.id, version, writer, barrier, results))
        for writer in ("left", "right")
    ]
    try:
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=CHILD_START_TIMEOUT) for _ in processes]
    finally:
        for process in processes:
            stop(process)

    winners = [writer for writer, outcome, _ in outcomes if outcome == "won"]
    losers = [writer for writer, outcome, _ in outcomes if outcome == "conflict"]
    assert [seen for _, _, seen in outcomes] == [version, version]
    assert len(winners) == 1
    assert len(losers) == 1

    with ConnectionStore.open(db_url) as store:
        final = store.get(record.id)
    assert final.version == version + 1
    assert final.data == {"writer": winners[0]}
    assert final.uid == winners[0]


def check_whole(
    record_version: int, parameters: dict[str, object], data: dict[str, object], workers: ModuleType
) -> None:
    generation = record_version - 1
    expected_parameters, expected_data = workers.generation_state(generation)
    assert parameters["generation"] == generation
    assert data["generation"] == generation
    assert parameters == expected_parameters
    assert data == expected_data


def test_killed_writer_leaves_whole_record(db_url: str, db_path: Path, workers: ModuleType) -> None:
    rng = random.Random()
    parameters, data = workers.generation_state(0)
    with ConnectionStore.open(db_url) as store:
        record = store.create(
            app="acme",
            name="acme-key",
            label="Acme",
            parameters=parameters,
            data=data,
            metadata=None,
            uid="0",
        )
    versions = [1]
    for _ in range(KILL_ROUNDS):
        started = SPAWN.Event()
        process = SPAWN.Process(target=workers.save_forever, args=(db_url, record.id, started))
        process.start()
        try:
            assert started.wait(timeout=CHILD_START_TIMEOUT), "writer never finished its first save"
            time.sleep(rng.uniform(0.0, 0.25))
        finally:
            process.kill()
            process.join(timeout=10)
        assert process.exitcode is not None
        assert process.exitcode < 0
        with ConnectionStore.open(db_url) as store:
            loaded = store.get(record.id)
        check_whole(loaded.version, loaded.parameters, loaded.data, workers)
        assert loaded.uid == str(loaded.version - 1)
        assert loaded.metadata == {"type": "text", "value": f"generation {loaded.version - 1}"}
        versions.append(loaded.version)
    assert versions == sorted(versions)
    assert versions[-1] > KILL_ROUNDS
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
