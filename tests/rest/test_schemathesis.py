"""Property-based checks of the live proxy against its own spec, over every operation."""

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

SPEC = Path(__file__).resolve().parents[2] / "rest" / "openapi" / "openapi.json"

# No 5xx, and every response (status, content type, body) is one the spec declares.
# Acceptance checks stay off: valid-looking input often names resources that do not exist.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]

schema = schemathesis.openapi.from_path(SPEC)


@schema.parametrize()
@settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_spec(case: schemathesis.Case, rest_proxy: str) -> None:
    case.call_and_validate(base_url=rest_proxy, checks=CHECKS)
