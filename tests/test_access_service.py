"""The access rules a front end shares: who acts for a name, who adds and lists users, the bootstrap."""

from __future__ import annotations

import pytest
from tests.helpers import ADMIN, ANALYST, PUBLIC
from typer.testing import CliRunner

from nigran.access import service
from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.cli import app
from nigran.core.errors import AccessDenied, Conflict, InvalidInput, NotFound

runner = CliRunner()


def _cli(db, *args: str, user: str | None = None):  # type: ignore[no-untyped-def]
    argv = ["--db", db.url, *(["--as", user] if user else []), *args]
    return runner.invoke(app, argv, env={"NIGRAN_USER": "", "NIGRAN_DEBUG": ""})


def test_principal_for_a_name_or_a_clear_refusal(db):
    with db.session(Principal.system()) as s:
        service.add_user(s, "boss", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
        service.add_user(s, "gone", role=Role.ANALYST, clearance=Classification.RESTRICTED).active = False
    with db.session(Principal.system()) as s:
        boss = service.principal_for(s, "boss")
        assert (boss.username, boss.role, boss.clearance) == (
            "boss",
            Role.ADMINISTRATOR,
            Classification.SECRET,
        )
        assert service.acting_principal(s, None) == Principal.anonymous()
        with pytest.raises(NotFound) as missing:
            service.principal_for(s, "ghost")
        with pytest.raises(AccessDenied):
            service.principal_for(s, "gone")
    assert "nigran" not in missing.value.message and "ghost" in missing.value.message
    result = _cli(db, "overview", user="ghost")
    assert result.exit_code == 4 and "no user 'ghost'" in result.output and "user add" not in result.output


def test_user_mistakes_are_domain_errors(db):
    with db.session(Principal.system()) as s:
        service.add_user(s, "boss", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
    cases = [
        (dict(username="boss", role=Role.ANALYST), Conflict),
        (dict(username="x", role="wizard"), InvalidInput),
        (dict(username="x", role="analyst", clearance="TOP"), InvalidInput),
        (dict(username="x", role="focal_person"), InvalidInput),
        (dict(username="x", role="public_reader", clearance="SECRET"), InvalidInput),
        (dict(username="x" * 81, role="analyst"), InvalidInput),
        (dict(username=" ", role="analyst"), InvalidInput),
        (dict(username="x", role="focal_person", entity_code="NO-SUCH"), NotFound),
    ]
    for kwargs, error in cases:
        with pytest.raises(error), db.session(ADMIN) as s:
            service.add_user(s, **kwargs)  # type: ignore[arg-type]
    assert _cli(db, "user", "add", "boss", "--role", "analyst", user="boss").exit_code == 5
    assert _cli(db, "user", "add", "y" * 500, "--role", "analyst", user="boss").exit_code == 2


def test_the_first_user_is_an_administrator_and_only_the_first_is_a_bootstrap(db):
    with db.session(Principal.system()) as s:
        assert service.user_writer(s, PUBLIC) == (Principal.system(), True)
    refused = _cli(db, "user", "add", "first", "--role", "analyst")
    assert refused.exit_code == 2 and "administrator" in refused.output
    made = _cli(db, "user", "add", "first", "--role", "administrator", "--clearance", "SECRET")
    assert made.exit_code == 0 and "first administrator" in made.output
    with db.session(Principal.system()) as s:
        with pytest.raises(AccessDenied):
            service.user_writer(s, PUBLIC)
        assert service.user_writer(s, ADMIN) == (ADMIN, False)
    with pytest.raises(Conflict), db.session(Principal.system()) as s:  # a second bootstrap is refused
        service.add_user(s, "second", role=Role.ADMINISTRATOR, bootstrap=True)
    assert _cli(db, "user", "add", "other", "--role", "administrator").exit_code == 3


def test_only_administrators_list_users(db):
    with db.session(Principal.system()) as s:
        service.add_user(s, "boss", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
        service.add_user(
            s, "kp", role=Role.FOCAL_PERSON, clearance=Classification.RESTRICTED, entity_code="KP"
        )
    for who in (PUBLIC, ANALYST):
        with pytest.raises(AccessDenied), db.session(who) as s:
            service.list_users(s)
    with db.session(ADMIN) as s:
        assert [u.username for u in service.list_users(s)] == ["boss", "kp"]
    listed = _cli(db, "user", "list", user="boss")
    assert listed.exit_code == 0 and "KP" in listed.output and "2 users" in listed.output
    assert max(len(line) for line in listed.output.splitlines()) <= 80
    assert _cli(db, "user", "list").exit_code == 3
