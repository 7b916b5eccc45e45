"""Transcoding of one HTTP binding: path, query and body in, ProtoJSON out."""

from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import json_format, message, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor

from rest.errors import ApiError, Code, bad_request
from rest.fields import convert, field_at, nest
from rest.http_rule import Binding, Variable
from rest.list_values import ListValueFields
from rest.predict_answer import answer_json
from rest.proto_json import Printer
from rest.scalar_fields import ScalarFields
from server.gen import models_pb2

_PRINTER = Printer()
_PREDICT_RESPONSE = models_pb2.PredictResponse.DESCRIPTOR.full_name


def to_json(response: message.Message) -> Any:
    """ProtoJSON of a message: lowerCamelCase names, enum names, every field present."""
    return _PRINTER.to_json(response)


def parse(data: Any, message_type: Any) -> message.Message:
    """Parse a ProtoJSON value into `message_type`; unknown fields are INVALID_ARGUMENT."""
    try:
        return json_format.ParseDict(data, message_type(), ignore_unknown_fields=False)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as error:
        raise ApiError(Code.INVALID_ARGUMENT, f"invalid request: {error}") from None


class Transcoder:
    """Builds one binding's request message and renders its response."""

    def __init__(self, method: MethodDescriptor, binding: Binding) -> None:
        self.binding = binding
        self.request_type = message_factory.GetMessageClass(method.input_type)
        self.response_type = message_factory.GetMessageClass(method.output_type)
        # Predict answers are printed from their wire bytes (`rest.predict_answer`).
        self.response_bytes = method.output_type.full_name == _PREDICT_RESPONSE
        self._input = method.input_type
        self._body_key = _json_name(method.input_type, binding.body)
        self._response_key = _json_name(method.output_type, binding.response_body)
        self._list_values = ListValueFields(method.input_type)
        self._scalars = ScalarFields(method.input_type, self.request_type)

    @property
    def has_body(self) -> bool:
        """Whether requests of this binding carry a JSON body."""
        return bool(self.binding.body)

    def request(
        self, path_params: Mapping[str, Any], query: Iterable[tuple[str, str]], body: Any
    ) -> message.Message | bytes:
        """Merge body, query parameters and path variables (in rising priority) and parse.

        With fields encoded straight to wire bytes (`rest.list_values`), the request is
        returned serialized: the rest of the message's bytes followed by those fields, which
        protobuf reads as one merged message.
        """
        if self.binding.body == "*":
            if body is not None and not isinstance(body, dict):
                raise bad_request("the body must be a JSON object", "body", "not an object")
            data: dict[str, Any] = dict(body or {})
        else:
            data = nest(query, self._input)
            if self._body_key and body is not None:
                data[self._body_key] = body
        for variable in self.binding.variables:
            self._set_path_value(data, variable, variable.value(path_params))
        encoded = self._list_values.take(data)
        message = self._scalars.build(data)
        if message is None:
            message = parse(data, self.request_type)
        if encoded:
            return message.SerializeToString() + encoded
        return message

    @property
    def deserialized_type(self) -> Any:
        """The message type responses are parsed into on arrival; None: they come as bytes."""
        return None if self.response_bytes else self.response_type

    def response(self, response: message.Message | bytes) -> Any:
        """The response body: the whole message, or its `response_body` field.

        The response comes as bytes when `deserialized_type` is None.
        """
        data = answer_json(response, _PRINTER) if isinstance(response, bytes) else to_json(response)
        return data.get(self._response_key) if self._response_key else data

    def _set_path_value(self, data: dict[str, Any], variable: Variable, value: str) -> None:
        target: dict[str, Any] = data
        descriptor: Descriptor = self._input
        *parents, leaf = variable.field_path
        for name in parents:
            field = field_at(descriptor, [name], name)
            by_json, by_name = target.pop(field.json_name, None), target.pop(field.name, None)
            nested = by_json if isinstance(by_json, dict) else by_name
            child = nested if isinstance(nested, dict) else {}
            target[field.json_name] = child
            target, descriptor = child, _message_of(field)
        field = field_at(descriptor, [leaf], leaf)
        target.pop(field.name, None)
        target[field.json_name] = convert(field, value)


def _json_name(message_descriptor: Descriptor, field_name: str) -> str:
    if not field_name or field_name == "*":
        return ""
    return str(message_descriptor.fields_by_name[field_name].json_name)


def _message_of(field: FieldDescriptor) -> Descriptor:
    if field.message_type is None:
        raise ApiError(Code.INTERNAL, f"path variable crosses non-message field {field.name}")
    return field.message_type
