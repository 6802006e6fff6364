"""Settings from LRS_* variables, and the one-line errors that stop start-up."""

from __future__ import annotations

import os

import pytest

from lrs.settings import Settings, SettingsError, load_settings, machine_workers


def test_defaults() -> None:
    settings = Settings()
    assert settings.database_url is None
    assert str(settings.data_dir) == ".lrs"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.cors_origins == ["*"]
    assert settings.primary_xapi_version == "2.0.0"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_PORT", "8300")
    monkeypatch.setenv("LRS_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("LRS_LOG_LEVEL", "debug")
    monkeypatch.setenv("LRS_DATABASE_URL", "postgresql://u:p@db:5432/lrs")
    settings = load_settings()
    assert settings.port == 8300
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.log_level == "DEBUG"
    assert settings.async_database_url == "postgresql+asyncpg://u:p@db:5432/lrs"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LRS_PORT", "eighty"),
        ("LRS_PORT", "70000"),
        ("LRS_WORKERS", "0"),
        ("LRS_BATCH_PROCESSES", "0"),
        ("LRS_BATCH_PROCESSES", "9"),
        ("LRS_MAX_BODY_BYTES", "-1"),
        ("LRS_LOG_LEVEL", "chatty"),
        ("LRS_DATABASE_URL", "mysql://root@localhost/lrs"),
        ("LRS_PRIMARY_XAPI_VERSION", "1.0.2"),
        ("LRS_MAX_QUERY_LIMIT", "0"),
    ],
)
def test_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = caught.value.message
    assert message.startswith(f"invalid setting {variable}:")
    assert "\n" not in message


def test_bootstrap_key_and_secret_go_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_BOOTSTRAP_KEY", "admin")
    with pytest.raises(SettingsError, match="LRS_BOOTSTRAP_KEY and LRS_BOOTSTRAP_SECRET"):
        load_settings()


def test_workers_default_follows_the_cpus_the_process_may_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unset LRS_WORKERS: one worker per two CPUs of the affinity mask, 1 to 4."""
    for cpus, expected in ((1, 1), (2, 1), (3, 1), (4, 2), (8, 4), (64, 4)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cpus: set(range(n)))
        assert machine_workers() == expected
        assert Settings().worker_count == expected
    monkeypatch.setenv("LRS_WORKERS", "3")
    assert load_settings().worker_count == 3
