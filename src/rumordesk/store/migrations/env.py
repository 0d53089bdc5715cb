"""Alembic environment: runs migrations online against the configured URL."""

from __future__ import annotations

from alembic import context

from rumordesk.store.db import make_engine
from rumordesk.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate using an engine built by our own factory (SQLite pragmas included)."""
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `rumordesk db upgrade`")
run_migrations_online()
