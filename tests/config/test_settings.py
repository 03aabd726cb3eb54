"""Settings come from SBRFLOW_* variables, lazily, and a bad value names its variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sbrflow.config.settings import DEFAULT_DATABASE_URL, ConfigurationError, get_settings


@pytest.fixture(autouse=True)
def _fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_default_database_is_a_sqlite_file_under_var(monkeypatch):
    monkeypatch.delenv("SBRFLOW_DATABASE_URL", raising=False)
    assert get_settings().database_url == DEFAULT_DATABASE_URL == "sqlite:///./var/sbrflow.db"


def test_the_database_url_is_read_from_sbrflow_database_url(monkeypatch):
    monkeypatch.setenv("SBRFLOW_DATABASE_URL", "postgresql+psycopg2://u@db:5432/app")
    assert get_settings().database_url == "postgresql+psycopg2://u@db:5432/app"


@pytest.mark.parametrize("value", ["not a url", "mysql://root@localhost/db", ""])
def test_a_bad_database_url_gives_one_line_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("SBRFLOW_DATABASE_URL", value)
    with pytest.raises(ConfigurationError) as excinfo:
        get_settings()
    message = str(excinfo.value)
    assert "SBRFLOW_DATABASE_URL" in message
    assert "\n" not in message


def test_a_bad_boolean_names_its_variable(monkeypatch):
    monkeypatch.setenv("SBRFLOW_DATABASE_ECHO", "perhaps")
    with pytest.raises(ConfigurationError, match="SBRFLOW_DATABASE_ECHO='perhaps'"):
        get_settings()


def test_settings_are_read_once_and_cached(monkeypatch):
    monkeypatch.setenv("SBRFLOW_DATABASE_URL", "sqlite:///first.db")
    first = get_settings()
    monkeypatch.setenv("SBRFLOW_DATABASE_URL", "sqlite:///second.db")
    assert get_settings() is first


def test_importing_every_module_needs_no_database_and_reads_no_settings():
    code = (
        "import pkgutil, importlib, sbrflow\n"
        "from sbrflow.config.settings import get_settings\n"
        "from sbrflow.models.db import get_engine\n"
        "for m in pkgutil.walk_packages(sbrflow.__path__, 'sbrflow.'):\n"
        "    if '.migrations' in m.name or m.name.endswith('.__main__'): continue\n"
        "    importlib.import_module(m.name)\n"
        "assert get_settings.cache_info().currsize == 0, 'settings were read at import'\n"
        "assert get_engine.cache_info().currsize == 0, 'an engine was created at import'\n"
    )
    env = {"SBRFLOW_DATABASE_URL": "postgresql+psycopg2://nobody@127.0.0.1:1/none", "PATH": ""}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_cli_reports_a_bad_setting_in_one_line_with_exit_code_2(tmp_path):
    env = {"SBRFLOW_DATABASE_URL": "oracle://scott@db/orcl", "PATH": "", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "sbrflow.cli.main", "db", "current"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SBRFLOW_DATABASE_URL" in result.stderr and "oracle" in result.stderr
