import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.config import DEVELOPMENT_SECRET_KEY, PROJECT_ROOT, ConfigurationError, Settings


def test_development_defaults_to_a_sqlite_file_under_data() -> None:
    settings = Settings(_env_file=None, DATABASE_URL="")
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'data' / 'adflow.sqlite3'}"
    assert settings.redis_url is None
    settings.check_production_ready()


def test_production_refuses_the_development_secret() -> None:
    settings = Settings(env="production", secret_key=SecretStr(DEVELOPMENT_SECRET_KEY))
    with pytest.raises(ConfigurationError, match="ADFLOW_SECRET_KEY"):
        settings.check_production_ready()


def test_production_accepts_a_long_random_secret() -> None:
    Settings(env="production", secret_key=SecretStr("x" * 48)).check_production_ready()


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("ADFLOW_ENV", "production")
    settings = Settings()
    assert (settings.database_url, settings.redis_url, settings.env) == (
        "postgresql+psycopg2://u@h/db",
        "redis://127.0.0.1:6379/0",
        "production",
    )


def test_nothing_but_the_settings_reads_the_environment() -> None:
    readers = re.compile(r"os\.environ|os\.getenv|getenv\(")
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for folder in ("core", "db", "scheduler", "pages")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if readers.search(path.read_text()) and path != PROJECT_ROOT / "core" / "config.py"
    ]
    offenders += [p for p in ("app.py",) if readers.search((PROJECT_ROOT / p).read_text())]
    assert offenders == []
    assert Path(PROJECT_ROOT / "core" / "config.py").exists()
