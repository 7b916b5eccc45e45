"""Golden-file tests of protoc-gen-openapi, run through the real protoc."""

import json
import os
from pathlib import Path

import pytest
from grpc_tools import protoc
from openapi_spec_validator import validate

from scripts.gen_proto import INCLUDES, OPENAPI_OPTIONS, openapi_args

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PROTOS = HERE / "protos"
GOLDEN = HERE / "golden" / "library.openapi.json"
GOLDEN_OPTIONS = "filename=library.openapi.json,title=Library,version=v1"


def run_plugin(out: Path, sources: list[str], options: str, extra: list[Path]) -> int:
    """Run protoc with only the OpenAPI plugin; return protoc's exit code."""
    includes = [f"-I{path}" for path in [*extra, *INCLUDES]]
    return protoc.main(["protoc", *includes, *openapi_args(out, options), *sources])


def generate_golden(out: Path) -> str:
    assert run_plugin(out, ["golden/v1/library.proto"], GOLDEN_OPTIONS, [PROTOS]) == 0
    return (out / "library.openapi.json").read_text()


def test_golden_spec_matches(tmp_path: Path) -> None:
    generated = generate_golden(tmp_path)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(generated)
    assert generated == GOLDEN.read_text()


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = generate_golden(tmp_path / "a")
    assert generate_golden(tmp_path / "b") == first


def test_golden_spec_is_valid_openapi() -> None:
    validate(json.loads(GOLDEN.read_text()))


def test_checked_in_service_spec_is_up_to_date(tmp_path: Path) -> None:
    sources = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    assert run_plugin(tmp_path, sources, OPENAPI_OPTIONS, []) == 0
    checked_in = ROOT / "rest" / "openapi" / "openapi.json"
    assert (tmp_path / "openapi.json").read_text() == checked_in.read_text()
    validate(json.loads(checked_in.read_text()))


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text())


def operation(spec: dict, path: str, verb: str) -> dict:
    return spec["paths"][path][verb]


def test_resource_name_variables_become_one_parameter_per_wildcard(golden: dict) -> None:
    op = operation(golden, "/v1/libraries/{library}/books/{book}", "get")
    assert op["operationId"] == "LibraryService_GetBook"
    path_params = [p["name"] for p in op["parameters"] if p["in"] == "path"]
    assert path_params == ["library", "book"]
    assert [p["name"] for p in op["parameters"] if p["in"] == "query"] == ["book"]


def test_custom_verb_body_star_and_path_fields_left_out_of_body(golden: dict) -> None:
    op = operation(golden, "/v1/libraries/{library}/books/{book}:archive", "post")
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert list(schema["properties"]) == ["reason", "retention"]
    assert schema["properties"]["retention"]["pattern"].endswith("s$")


def test_body_field_and_nested_path_field(golden: dict) -> None:
    op = operation(golden, "/v1/libraries/{library}/books/{book}", "patch")
    body = op["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"]["allOf"] == [
        {"$ref": "#/components/schemas/golden.v1.Book"}
    ]
    assert [p["name"] for p in op["parameters"]] == ["library", "book", "updateMask"]


def test_no_body_flattens_nested_messages_into_query_parameters(golden: dict) -> None:
    params = operation(golden, "/v1/books", "get")["parameters"]
    names = [p["name"] for p in params]
    assert "filter.addedAfter" in names and "filter.tags" in names
    assert not any(
        n.startswith(("filter.nested", "filter.options", "sort", "authors")) for n in names
    )
    by_name = {p["name"]: p for p in params}
    assert by_name["pageToken"]["required"] is True
    assert by_name["filter.tags"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert by_name["filter.addedAfter"]["schema"]["format"] == "date-time"


def test_additional_bindings_get_numbered_operation_ids(golden: dict) -> None:
    assert operation(golden, "/v1/libraries/{library}/books", "get")["operationId"] == (
        "LibraryService_ListBooks"
    )
    assert operation(golden, "/v1/books", "get")["operationId"] == "LibraryService_ListBooks_2"


def test_response_body_and_empty(golden: dict) -> None:
    tags = operation(golden, "/v1/libraries/{library}/books/{book}/tags", "get")
    schema = tags["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["type"] == "array"
    delete = operation(golden, "/v1/libraries/{library}/books/{book}", "delete")
    assert delete["responses"]["200"]["content"]["application/json"]["schema"] == {"type": "object"}


def test_protojson_types(golden: dict) -> None:
    search = golden["components"]["schemas"]["golden.v1.SearchRequest"]["properties"]
    assert search["query"]["type"] == "object"
    assert search["terms"]["type"] == "array"
    assert search["since"]["format"] == "date-time"
    assert search["minReads"]["type"] == "string" and search["minReads"]["nullable"] is True
    book = golden["components"]["schemas"]["golden.v1.Book"]
    assert book["required"] == ["title"]
    assert book["properties"]["reads"]["type"] == "string"
    assert book["properties"]["createTime"]["readOnly"] is True
    assert book["properties"]["secret"]["writeOnly"] is True
    assert book["properties"]["category"]["deprecated"] is True
    library = golden["components"]["schemas"]["golden.v1.Library"]["properties"]
    assert library["books"]["additionalProperties"] == {
        "$ref": "#/components/schemas/golden.v1.Book"
    }
    genre = golden["components"]["schemas"]["golden.v1.Book.Genre"]
    assert genre["enum"] == ["GENRE_UNSPECIFIED", "GENRE_FICTION", "GENRE_SCIENCE"]


def test_errors_use_google_rpc_status(golden: dict) -> None:
    for item in golden["paths"].values():
        for op in item.values():
            default = op["responses"]["default"]["content"]["application/json"]["schema"]
            assert default == {"$ref": "#/components/schemas/google.rpc.Status"}


def test_multipart_upload_from_the_method_option(golden: dict) -> None:
    op = operation(golden, "/v1/covers:upload", "post")
    schema = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert list(schema["properties"]) == ["book", "mediaType", "labels", "place.city", "image"]
    assert schema["properties"]["image"]["format"] == "binary"
    assert schema["required"] == ["book", "image"]


def test_rpcs_without_http_bindings_are_left_out(golden: dict) -> None:
    ids = {op["operationId"] for item in golden["paths"].values() for op in item.values()}
    assert not {"LibraryService_Internal", "LibraryService_WatchLibraries"} & ids


def test_streaming_rpc_with_http_rule_is_an_error(tmp_path: Path) -> None:
    proto = tmp_path / "protos" / "bad" / "v1" / "bad.proto"
    proto.parent.mkdir(parents=True)
    proto.write_text(
        'syntax = "proto3";\npackage bad.v1;\nimport "google/api/annotations.proto";\n'
        "message M {}\nservice S {\n  rpc Watch(M) returns (stream M) {\n"
        '    option (google.api.http) = {get: "/v1/watch"};\n  }\n}\n'
    )
    assert run_plugin(tmp_path / "out", ["bad/v1/bad.proto"], "", [tmp_path / "protos"]) != 0
    assert not (tmp_path / "out" / "openapi.json").exists()
