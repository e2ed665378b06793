"""Property-based API testing: Schemathesis generates requests from ``/api/openapi.json`` and sends them to
the application in-process (ASGI), as the anonymous public and as an administrator with an API token (which
is exempt from CSRF, so generated bodies reach the services).

Checked for every generated input: no server error (5xx), and a response whose schema the description
declares matches it. Bounded and deterministic: ``NIGRAN_FUZZ_EXAMPLES`` examples per operation (default 10),
derandomised, no example database, no deadline (2 shared cores).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from tests.conftest import BACKENDS
from tests.web_canaries import Planted, leaked
from tests.web_canaries import planted_database as _planted_database
from tests.web_support import app_for

EXAMPLES = int(os.environ.get("NIGRAN_FUZZ_EXAMPLES", "10"))
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance]
#: Operations a generated request could use to lock the fuzzing user out of the rest of the run.
SELF_LOCKING = ("/api/tokens/{token_id}",)


@pytest.fixture(scope="module", params=BACKENDS)
def planted(templates: Any, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with _planted_database(templates, request.param, folder) as p:
        yield p


@pytest.fixture(scope="module")
def fuzz_app(planted: Planted):  # type: ignore[no-untyped-def]
    return app_for(planted.db)


@pytest.fixture(scope="module")
def admin_token(planted: Planted, fuzz_app: Any) -> str:
    store = fuzz_app.state.auth
    user_id = planted.principal("admin").user_id
    assert user_id is not None
    return store.create_token(user_id, "schemathesis")


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Any):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_app).exclude(path=list(SELF_LOCKING))


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz(api_schema: Any, headers: dict[str, str], user: str | None) -> list[str]:
    """Run every operation's generated cases; the failures, one line each (Schemathesis's pytest plugin
    is not used: it reaches into pytest internals that pytest 9 no longer has)."""
    failures: list[str] = []
    sent = [0]
    operations = list(api_schema.get_all_operations())
    assert len(operations) > 10, "the OpenAPI description lists almost no operations"
    for result in operations:
        operation = result.ok()

        @given(case=operation.as_strategy())
        @FUZZ
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            sent[0] += 1
            shown = leaked(user, response.text)
            assert not shown, f"{case.method} {case.formatted_path}: shows {shown}"

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # Schemathesis's FailureGroup is a BaseExceptionGroup;
            # every operation is fuzzed and the failures are reported together, each with its curl line
            first = [line for line in str(exc).strip().splitlines() if line.strip()][:10]
            failures.append(f"{operation.method.upper()} {operation.path}: " + "\n    ".join(first))
    assert sent[0] >= len(operations), f"only {sent[0]} requests for {len(operations)} operations"
    return failures


@pytest.mark.slow
def test_public_reader_gets_no_server_error(api_schema: Any) -> None:
    failures = fuzz(api_schema, {}, None)
    assert not failures, f"{len(failures)} operations failed:\n" + "\n".join(failures)


@pytest.mark.slow
def test_administrator_with_token_gets_no_server_error(api_schema: Any, admin_token: str) -> None:
    failures = fuzz(api_schema, {"Authorization": f"Bearer {admin_token}"}, "admin")
    assert not failures, f"{len(failures)} operations failed:\n" + "\n".join(failures)
