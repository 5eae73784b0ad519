"""Persistence: models, the engine and session factory, and the Alembic migrations.

db/ knows nothing of core/: it is given a database URL and hands out sessions.
"""

from db.session import Database

__all__ = ["Database"]
