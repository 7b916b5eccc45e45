from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor
MULTIPART_UPLOAD_FIELD_NUMBER: _ClassVar[int]
multipart_upload: _descriptor.FieldDescriptor

class MultipartUploadRule(_message.Message):
    __slots__ = ("post", "metadata_field", "chunk_field", "file_part")
    POST_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_FIELD_NUMBER: _ClassVar[int]
    FILE_PART_FIELD_NUMBER: _ClassVar[int]
    post: str
    metadata_field: str
    chunk_field: str
    file_part: str
    def __init__(self, post: _Optional[str] = ..., metadata_field: _Optional[str] = ..., chunk_field: _Optional[str] = ..., file_part: _Optional[str] = ...) -> None: ...
