"""The `steward token create` and `steward serve --demo` doors."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from service.cli import main
from service.cli.serve import demo_dir, load_demo
from service.settings import Settings
from service.store.db import Database
from service.store.tables import PrincipalRow, ProductRow, SubscriptionRow, TokenRow
from service.usecases.auth import authenticate

warnings.filterwarnings("ignore", message=".*httpx2.*")


def test_token_create_prints_a_token_that_authenticates_and_is_stored_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("STEWARD_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["token", "create", "--email", "ada@example.com", "--admin"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    db = Database(Settings(database_url=url))
    with db.reading() as session:
        assert authenticate(session, token).is_admin
        hashes = session.scalars(select(TokenRow.token_hash)).all()
    assert token not in hashes and len(hashes) == 1
    db.dispose()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--email", "nobody"], "not an email address: 'nobody'"),
        (["--email", "a b@example.com"], "not an email address"),
        (["--email", "ada@exa\x00mple.com"], "control character U+0000"),
        (["--email", "ada\x1b[31m@example.com"], "control character U+001B"),
        (["--email", "a" * 320 + "@example.com"], "at most 320 characters"),
        (["--email", "ada@example.com", "--name", "Ada\x07"], "control character U+0007"),
        (["--email", "ada@example.com", "--name", "n" * 201], "at most 200 characters"),
    ],
)
def test_token_create_refuses_what_the_api_refuses_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("STEWARD_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["token", "create", *args])
    assert result.exit_code == 2, result.output
    assert says in result.output
    db = Database(Settings(database_url=url))
    db.migrate()
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(TokenRow)) == 0
        assert session.scalar(select(func.count()).select_from(PrincipalRow)) == 0
    db.dispose()


def test_the_cli_and_the_api_take_the_same_emails() -> None:
    from pydantic import TypeAdapter, ValidationError

    from service.api.schemas import Email
    from service.domain import email_address

    api = TypeAdapter(Email)
    for text in ["ada@example.com", "nobody", "a b@x.y", "a@b\x00c", "a@b\x7f", "x" * 330 + "@y"]:
        try:
            email_address(text)
            cli = True
        except ValueError:
            cli = False
        try:
            api.validate_python(text)
            taken = True
        except ValidationError:
            taken = False
        assert cli == taken, text


def test_the_demo_loads_once_however_often_it_starts(tmp_path: Path) -> None:
    db = Database(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}"))
    db.migrate()
    first = load_demo(db, demo_dir(), "http://127.0.0.1:8000")
    load_demo(db, demo_dir(), "http://127.0.0.1:8000")
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ProductRow)) == 4
        assert session.scalar(select(func.count()).select_from(SubscriptionRow)) == 4
        dialects = set(session.scalars(select(ProductRow.dialect)))
    assert dialects == {"postgres", "snowflake"}
    assert "curl" in first and "sam.sales@demo.example" in first
    token = first.split("sam.sales@demo.example", 1)[1].split()[0]
    with db.reading() as session:
        assert authenticate(session, token).email == "sam.sales@demo.example"
    db.dispose()


def test_the_demo_resets_its_own_database_so_its_walk_through_fits_every_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.cli.serve import reset_demo_database

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    for _ in range(2):
        settings = reset_demo_database(Settings())
        assert settings.database_url == "sqlite:///./.steward/demo.db"
        db = Database(settings)
        db.migrate()
        load_demo(db, demo_dir(), "http://127.0.0.1:8000")
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(TokenRow)) == 7  # one each
        db.dispose()
    mine = Settings(database_url=f"sqlite:///{tmp_path / 'mine.db'}")
    assert reset_demo_database(mine) is mine  # a database the user named is never reset


def test_the_public_url_defaults_to_where_the_server_listens() -> None:
    from service.cli.serve import local_url

    assert local_url("127.0.0.1", 8303) == "http://127.0.0.1:8303"
    assert local_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"


def test_token_list_and_revoke_manage_tokens_from_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("STEWARD_DATABASE_URL", url)
    runner = CliRunner()
    made = runner.invoke(
        main, ["token", "create", "--email", "ada@example.com", "--expires", "P30D"]
    )
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    listed = runner.invoke(main, ["token", "list", "--email", "ada@example.com"])
    assert (
        listed.exit_code == 0 and "ada@example.com" in listed.stdout and "active" in listed.stdout
    )
    assert secret not in listed.stdout
    token_id = listed.stdout.split("\t", 1)[0]
    revoked = runner.invoke(main, ["token", "revoke", token_id])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in runner.invoke(main, ["token", "list"]).stdout
    db = Database(Settings(database_url=url))
    with db.reading() as session, pytest.raises(Exception, match="not valid"):
        authenticate(session, secret)
    db.dispose()
    assert runner.invoke(main, ["token", "revoke", "999"]).exit_code != 0
    assert (
        runner.invoke(main, ["token", "create", "--email", "a@b.c", "--expires", "soon"]).exit_code
        != 0
    )
