"""An index of the messages, enums and comments of the files in a `CodeGeneratorRequest`."""

from dataclasses import dataclass

from google.protobuf import descriptor_pb2

# Field numbers used in `SourceCodeInfo` paths.
FILE_MESSAGE, FILE_ENUM, FILE_SERVICE = 4, 5, 6
MESSAGE_FIELD, MESSAGE_NESTED, MESSAGE_ENUM = 2, 3, 4
ENUM_VALUE, SERVICE_METHOD = 2, 2


@dataclass(frozen=True)
class MessageInfo:
    """A message type, with the file and source path it was declared at."""

    full_name: str
    proto: descriptor_pb2.DescriptorProto
    file: str
    path: tuple[int, ...]


@dataclass(frozen=True)
class EnumInfo:
    """An enum type, with the file and source path it was declared at."""

    full_name: str
    proto: descriptor_pb2.EnumDescriptorProto
    file: str
    path: tuple[int, ...]


class TypeIndex:
    """Messages and enums by full name, and the comments of every declaration."""

    def __init__(self, files: list[descriptor_pb2.FileDescriptorProto]) -> None:
        self.messages: dict[str, MessageInfo] = {}
        self.enums: dict[str, EnumInfo] = {}
        self._comments: dict[tuple[str, tuple[int, ...]], str] = {}
        for file in files:
            self._add_file(file)

    def message(self, type_name: str) -> MessageInfo:
        """The message named `type_name` (with or without the leading dot)."""
        return self.messages[type_name.lstrip(".")]

    def enum(self, type_name: str) -> EnumInfo:
        """The enum named `type_name` (with or without the leading dot)."""
        return self.enums[type_name.lstrip(".")]

    def comment(self, file: str, path: tuple[int, ...]) -> str:
        """The cleaned leading (else trailing) comment of a declaration, or ''."""
        return self._comments.get((file, path), "")

    def _add_file(self, file: descriptor_pb2.FileDescriptorProto) -> None:
        prefix = f"{file.package}." if file.package else ""
        for i, message in enumerate(file.message_type):
            self._add_message(file.name, prefix + message.name, message, (FILE_MESSAGE, i))
        for i, enum in enumerate(file.enum_type):
            self._add_enum(file.name, prefix + enum.name, enum, (FILE_ENUM, i))
        for location in file.source_code_info.location:
            text = location.leading_comments or location.trailing_comments
            if text:
                self._comments[(file.name, tuple(location.path))] = clean_comment(text)

    def _add_message(
        self, file: str, name: str, proto: descriptor_pb2.DescriptorProto, path: tuple[int, ...]
    ) -> None:
        self.messages[name] = MessageInfo(name, proto, file, path)
        for i, nested in enumerate(proto.nested_type):
            self._add_message(file, f"{name}.{nested.name}", nested, (*path, MESSAGE_NESTED, i))
        for i, enum in enumerate(proto.enum_type):
            self._add_enum(file, f"{name}.{enum.name}", enum, (*path, MESSAGE_ENUM, i))

    def _add_enum(
        self, file: str, name: str, proto: descriptor_pb2.EnumDescriptorProto, path: tuple[int, ...]
    ) -> None:
        self.enums[name] = EnumInfo(name, proto, file, path)


def clean_comment(text: str) -> str:
    """Strip the one-space indent protoc keeps on every comment line, and outer blank lines."""
    lines = [line[1:] if line.startswith(" ") else line for line in text.splitlines()]
    return "\n".join(line.rstrip() for line in lines).strip()
