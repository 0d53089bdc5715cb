"""Settings: the one place configuration is read (environment variables ``RUMORDESK_*``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_POLICY = Path(__file__).parent / "policy" / "default.yaml"


class Settings(BaseSettings):
    """Runtime settings; every field can be set as ``RUMORDESK_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="RUMORDESK_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/rumordesk.db",
        description="SQLAlchemy URL: sqlite:///path.db (embedded) or postgresql+psycopg://...",
    )
    data_dir: Path = Field(default=Path("var"), description="Where indexes and state live.")
    policy_file: Path = Field(default=DEFAULT_POLICY, description="YAML policy file.")
    host: str = Field(default="127.0.0.1", description="API bind address.")
    port: int = Field(default=8000, description="API port.")
    demo_api_key: str = Field(
        default="rd_demo_local_only_key",
        description="API key created for the demo organisation by `make run` (local use only).",
    )
    demo_dir: Path = Field(default=Path("data/demo"), description="Demo library and stream.")
    max_body_bytes: int = Field(default=10 * 1024 * 1024, description="Request body size limit.")
    page_size_max: int = Field(default=500, description="Largest page a list call returns.")
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="NATS server for workers.")
    bus: str = Field(default="memory", description="Event bus: 'memory' (in-process) or 'nats'.")
    encoder_threads: int = Field(default=1, description="BLAS threads for the sentence encoder.")

    @cached_property
    def index_dir(self) -> Path:
        """Directory holding the persisted match index, next to the database."""
        return self.data_dir / "index"
