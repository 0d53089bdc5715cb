"""Shared fixtures: real databases (SQLite in a temp folder and PostgreSQL on 127.0.0.1:5432)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

from rumordesk.composition import Rumordesk, build
from rumordesk.config import Settings
from rumordesk.domain.access import Principal, Role
from rumordesk.services.organisations import create_organisation
from rumordesk.store.migrate import upgrade
from rumordesk.store.models import Base

POSTGRES_URL = os.environ.get(
    "RUMORDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = os.environ.get("RUMORDESK_REQUIRE_SERVICES") == "1"

# CI replays a fixed set of examples (a red build must mean a regression, not a lucky draw);
# local runs keep exploring new examples.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") or REQUIRE_SERVICES:
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile the matching kernels before any test runs (``make install`` does it too): a
    first compile inside a test with a deadline, such as a background sweep, would be timed."""
    from rumordesk.matching.warmup import warm_up

    warm_up()


def service_missing(what: str, why: object) -> None:
    """Skip locally, but fail in CI, when a real service the test needs is unreachable."""
    message = f"{what} unavailable: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (RUMORDESK_REQUIRE_SERVICES=1: must not skip)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    """Reset the test database schema and migrate it once per session."""
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "unavailable"
        service_missing("PostgreSQL", exc)
    upgrade(POSTGRES_URL)
    return POSTGRES_URL


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A clean, migrated database URL: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "rumordesk.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_ready")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test database and a temp data folder."""
    return Settings(database_url=database_url, data_dir=tmp_path / "var")


@pytest.fixture
def desk(settings: Settings) -> Iterator[Rumordesk]:
    """A wired Rumordesk on the test database."""
    wired = build(settings)
    yield wired
    wired.close()


def make_principal(desk: Rumordesk, org_name: str, role: Role = Role.ADMIN) -> Principal:
    """Create an organisation and act for it with ``role``."""
    with desk.sessions() as session, session.begin():
        org = create_organisation(session=session, name=org_name)
        return Principal(org_id=org.id, role=role, name=f"{org_name}-{role.value}")


@pytest.fixture
def admin(desk: Rumordesk) -> Principal:
    """An admin of a fresh organisation."""
    return make_principal(desk, "Org A")
