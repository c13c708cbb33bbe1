"""SQLAlchemy tables of the connection store.

The column types are portable between SQLite and PostgreSQL. Encrypted columns hold envelope
text (see `imlconnect.store.crypto`). Every other column is plain, so listing and filtering need
no key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Version of the table layout written to `schema_version`. Bump it with every layout change.
SCHEMA_VERSION = 1


class Base(DeclarativeBase):
    """Declarative base of the store tables."""


class SchemaVersion(Base):
    """The single row (id 1) that records which table layout the database has."""

    __tablename__ = "schema_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)


class KeyState(Base):
    """The single row (id 1) naming the key that new envelopes must use.

    Writers read it inside their transaction, so a writer that still has an old key in memory
    cannot add rows under a key that a finished rotation has retired.
    """

    __tablename__ = "key_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active_key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ConnectionRow(Base):
    """One stored connection. `parameters`, `data` and `last_error_message` are envelopes."""

    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    label: Mapped[str] = mapped_column(Text, nullable=False)
    parameters: Mapped[str] = mapped_column(Text, nullable=False)
    data: Mapped[str] = mapped_column(Text, nullable=False)
    metadata_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    metadata_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    uid: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    last_error_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    key_id: Mapped[str] = mapped_column(String(16), nullable=False)


class CommonRow(Base):
    """The common data of one app (its secret collection), encrypted as one envelope."""

    __tablename__ = "app_common"

    app: Mapped[str] = mapped_column(String(255), primary_key=True)
    common: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    key_id: Mapped[str] = mapped_column(String(16), nullable=False)
