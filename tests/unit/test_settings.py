"""Settings from LRS_* variables, and the one-line errors that stop start-up."""

from __future__ import annotations

import pytest

from lrs.settings import Settings, SettingsError, load_settings


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
