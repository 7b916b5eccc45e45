"""The embedded model registry: metadata in SQLite, weights as files, under `models_dir`.

Layout: `registry.sqlite3` (one row per model and per version, JSON bodies),
`<model_id>/v<version>.skops` (weights), `<model_id>/v<version>.onnx` (the compiled model,
when it passed the parity gate), `.staging/` (files of runs not yet accepted).
A connection per call keeps it safe from any thread; WAL keeps readers off writers' backs.
"""

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from server.errors import AlreadyExists, NotFound
from server.models.codec import decode_model, decode_version, encode_model, encode_version
from server.models.record_cache import RecordCache
from server.models.records import ModelRecord, VersionRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (model_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions (
    model_id TEXT NOT NULL REFERENCES models(model_id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (model_id, version)
);
"""


class LocalModelRegistry:
    """`ModelRegistry` on the local disk (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root / ".staging"
        self.staging.mkdir(parents=True, exist_ok=True)
        self._db = root / "registry.sqlite3"
        self._records = RecordCache()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._db, timeout=30)
        try:
            db.execute("PRAGMA foreign_keys=ON")
            with db:
                yield db
        finally:
            db.close()

    def create(self, model: ModelRecord) -> None:
        """Store a new model with its versions; AlreadyExists when the id is taken."""
        try:
            with self._connect() as db:
                db.execute(
                    "INSERT INTO models VALUES (?, ?)", (model.model_id, encode_model(model))
                )
                for version in model.versions:
                    self._put(db, model.model_id, version)
        except sqlite3.IntegrityError:
            raise AlreadyExists(f"model {model.model_id!r} already exists") from None
        finally:
            self._records.invalidate(model.model_id)

    def get(self, model_id: str) -> ModelRecord:
        """The model with all its versions; NotFound when absent (kept in memory until a write)."""
        return self._records.get(model_id, self._read)

    def _read(self, model_id: str) -> ModelRecord:
        with self._connect() as db:
            row = db.execute("SELECT body FROM models WHERE model_id = ?", (model_id,)).fetchone()
            if row is None:
                raise NotFound(f"model {model_id!r} not found")
            bodies = db.execute("SELECT body FROM versions WHERE model_id = ?", (model_id,))
            return decode_model(model_id, row[0], [decode_version(b) for (b,) in bodies])

    def list(self) -> list[ModelRecord]:
        """Every model, ordered by id."""
        with self._connect() as db:
            models = db.execute("SELECT model_id, body FROM models ORDER BY model_id").fetchall()
            versions: dict[str, list[VersionRecord]] = {}
            for model_id, body in db.execute("SELECT model_id, body FROM versions"):
                versions.setdefault(model_id, []).append(decode_version(body))
        return [decode_model(mid, body, versions.get(mid, [])) for mid, body in models]

    def put_version(self, model_id: str, version: VersionRecord) -> None:
        """Insert or replace one version; NotFound when the model is gone."""
        try:
            with self._connect() as db:
                self._put(db, model_id, version)
        except sqlite3.IntegrityError:
            raise NotFound(f"model {model_id!r} not found") from None
        finally:
            self._records.invalidate(model_id)

    @staticmethod
    def _put(db: sqlite3.Connection, model_id: str, version: VersionRecord) -> None:
        db.execute(
            "INSERT OR REPLACE INTO versions VALUES (?, ?, ?)",
            (model_id, version.version, encode_version(version)),
        )

    def delete(self, model_id: str) -> None:
        """Remove the model, its versions and weights; NotFound when absent."""
        try:
            with self._connect() as db:
                if db.execute("DELETE FROM models WHERE model_id = ?", (model_id,)).rowcount == 0:
                    raise NotFound(f"model {model_id!r} not found")
        finally:
            self._records.invalidate(model_id)
        shutil.rmtree(self.root / model_id, ignore_errors=True)
        for staged in self.staging.glob(f"{model_id}-v*"):
            staged.unlink(missing_ok=True)

    def staging_path(self, model_id: str, version: VersionRecord) -> Path:
        """Where a training run writes its weights before `store_weights`."""
        return self.staging / f"{model_id}-v{version.version}-{version.run_id}.skops"

    def store_weights(self, model_id: str, version: VersionRecord, staged: Path) -> None:
        """Move the staged weights into place (an atomic rename on the same disk)."""
        target = self.root / model_id / f"v{version.version}.skops"
        target.parent.mkdir(exist_ok=True)
        staged.replace(target)

    def weights_path(self, model_id: str, version: int) -> Path:
        """The weights file of one version."""
        return self.root / model_id / f"v{version}.skops"

    def compiled_staging_path(self, model_id: str, version: VersionRecord) -> Path:
        """Where a training run writes its ONNX model before `store_compiled`."""
        return self.staging_path(model_id, version).with_suffix(".onnx")

    def store_compiled(self, model_id: str, version: VersionRecord, staged: Path) -> None:
        """Move the staged ONNX model into place beside the weights (an atomic rename)."""
        target = self.root / model_id / f"v{version.version}.onnx"
        target.parent.mkdir(exist_ok=True)
        staged.replace(target)

    def compiled_path(self, model_id: str, version: int) -> Path | None:
        """The ONNX model of one version; None when it has none."""
        path = self.root / model_id / f"v{version}.onnx"
        return path if path.is_file() else None

    def discard_staged(self, model_id: str, version: VersionRecord) -> None:
        """Remove a run's staged weights and ONNX model, if any, with their temp files.

        A worker killed while writing one leaves `.<name>.tmp` beside it (see `fit.save`).
        """
        for staged in (
            self.staging_path(model_id, version),
            self.compiled_staging_path(model_id, version),
        ):
            staged.unlink(missing_ok=True)
            staged.with_name(f".{staged.name}.tmp").unlink(missing_ok=True)

    def ping(self) -> str:
        """Count the models (proves the database is readable)."""
        with self._connect() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM models").fetchone()
        return f"{count} models in {self._db.name}"
