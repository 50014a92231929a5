"""DATABASE_URL forms: what is accepted, how it is normalised, and the error for the rest."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.database import parse_database_url
from core.settings import ExplicitSettings


@pytest.mark.parametrize(
    ("given", "dialect", "normalised"),
    [
        ("sqlite:///var/x.db", "sqlite", "sqlite:///var/x.db"),
        ("sqlite:////abs/x.db", "sqlite", "sqlite:////abs/x.db"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite", "sqlite:///var/x.db"),
        ("sqlite:///:memory:", "sqlite", "sqlite:///:memory:"),
        ("postgresql://u:p@db:5432/clinic", "postgresql", "postgresql://u:p@db:5432/clinic"),
        ("postgres://u@db/clinic", "postgresql", "postgresql://u@db/clinic"),
        ("postgresql+psycopg://u:p@db/clinic", "postgresql", "postgresql://u:p@db/clinic"),
        (
            "postgresql+asyncpg://u:p@db/clinic?sslmode=require",
            "postgresql",
            "postgresql://u:p@db/clinic?sslmode=require",
        ),
        ("POSTGRESQL://u@db/clinic", "postgresql", "postgresql://u@db/clinic"),
    ],
)
def test_accepted_forms_are_normalised(given: str, dialect: str, normalised: str) -> None:
    parsed = parse_database_url(given)
    assert (parsed.dialect, parsed.url) == (dialect, normalised)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("mysql://u:p@db/clinic", "unsupported database URL 'mysql'"),
        ("mongodb+srv://u:secret@db/clinic", "unsupported database URL 'mongodb+srv'"),
        ("var/scheduling.db", "unsupported database URL 'var/scheduling.db'"),
        ("sqlite://relative.db", "three slashes"),
        ("postgresql://u:secret@/clinic", "needs a host"),
        ("postgresql://u:secret@db:5432", "needs a database name"),
    ],
)
def test_other_urls_are_refused_with_a_clear_message(given: str, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_database_url(given)
    assert words in str(caught.value)
    assert "secret" not in str(caught.value)  # a pasted password is never repeated back


def test_the_password_is_redacted_for_messages() -> None:
    assert parse_database_url("postgresql://u:s3cret@db/clinic").redacted == "postgresql://u:***@db/clinic"


def test_settings_refuse_an_unsupported_url_at_start_up() -> None:
    with pytest.raises(ValidationError, match="unsupported database URL 'mysql'"):
        ExplicitSettings(database_url="mysql://u@db/clinic")
    with pytest.raises(ValidationError, match="unsupported database URL 'redis'"):
        ExplicitSettings(checkpoint_url="redis://cache/0")
    assert ExplicitSettings(database_url="postgres://u@db/clinic").database_url == "postgresql://u@db/clinic"
    assert ExplicitSettings(checkpoint_url="memory").checkpoint_url == "memory"
