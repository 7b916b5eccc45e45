"""Entry point: `python -m tools.protoc_gen_openapi`, run by protoc as a plugin."""

import sys

from google.protobuf.compiler import plugin_pb2

from tools.protoc_gen_openapi.plugin import generate


def main() -> int:
    """Read the request from stdin, write the response to stdout."""
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
