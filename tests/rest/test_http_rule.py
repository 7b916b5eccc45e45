"""Path templates of `google.api.http` as the generator and the proxy both read them."""

import pytest
from google.api import http_pb2

from rest.http_rule import TemplateError, bindings, operation_id, parse_template, singular


def one(rule: http_pb2.HttpRule):  # type: ignore[no-untyped-def]
    (binding,) = bindings(rule, "S", "M")
    return binding


def test_plain_field_variable() -> None:
    binding = one(http_pb2.HttpRule(get="/v1/things/{thing_id}"))
    assert binding.path == "/v1/things/{thingId}"
    (variable,) = binding.variables
    assert variable.field_path == ("thing_id",)
    assert variable.value({"thingId": "7"}) == "7"


def test_resource_name_variable_and_verb() -> None:
    binding = one(http_pb2.HttpRule(post="/v1/{name=models/*}:predict", body="*"))
    assert binding.path == "/v1/models/{model}:predict"
    assert binding.http_method == "post" and binding.body == "*"
    assert binding.variables[0].value({"model": "iris"}) == "models/iris"
    assert binding.bound_fields == {"name"}


def test_several_wildcards_and_unique_names() -> None:
    rule = http_pb2.HttpRule(get="/v1/{name=things/*/things/*}/{other=entries/*}")
    binding = one(rule)
    assert binding.path == "/v1/things/{thing}/things/{thingId}/entries/{entry}"
    assert binding.variables[0].value({"thing": "a", "thingId": "b"}) == "things/a/things/b"


def test_multi_segment_wildcard_and_nested_field() -> None:
    binding = one(http_pb2.HttpRule(patch="/v1/{book.name=files/**}", body="book"))
    assert binding.path == "/v1/files/{file}"
    assert binding.variables[0].field_path == ("book", "name")
    assert binding.variables[0].segments[-1].multi


def test_additional_bindings_and_operation_ids() -> None:
    rule = http_pb2.HttpRule(get="/v1/a", additional_bindings=[http_pb2.HttpRule(get="/v1/b")])
    assert [b.operation_id for b in bindings(rule, "Svc", "List")] == ["Svc_List", "Svc_List_2"]
    assert operation_id("Svc", "Get") == "Svc_Get"


def test_custom_method_and_response_body() -> None:
    rule = http_pb2.HttpRule(
        custom=http_pb2.CustomHttpPattern(kind="HEAD", path="/v1/x"), response_body="items"
    )
    binding = one(rule)
    assert (binding.http_method, binding.response_body) == ("head", "items")


@pytest.mark.parametrize(
    "template", ["v1/x", "/v1/{name", "/v1/{na me}", "/v1/*", "/v1/{name=**/x}", "/v1//x"]
)
def test_malformed_templates(template: str) -> None:
    with pytest.raises(TemplateError):
        parse_template(template)


@pytest.mark.parametrize(
    ("plural", "single"),
    [
        ("models", "model"),
        ("libraries", "library"),
        ("modelClasses", "modelClass"),
        ("status", "status"),
        ("data", "data"),
        ("boxes", "box"),
    ],
)
def test_singular(plural: str, single: str) -> None:
    assert singular(plural) == single
