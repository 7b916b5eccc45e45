"""Fake training workers: tiny scripts that print given protocol lines (started in a blink)."""

import asyncio
import json
import sys
from typing import Any

FAKE_WORKER = """
import sys, time
sys.stdin.readline()
for line in sys.argv[1:]:
    if line == "sleep":
        time.sleep(60)
    print(line, flush=True)
"""


class ScriptLauncher:
    """Hands out a fake worker that prints the given protocol lines ("sleep": hang)."""

    def __init__(self, *messages: dict[str, Any] | str) -> None:
        self.lines = [m if isinstance(m, str) else json.dumps(m) for m in messages]

    async def take(self) -> asyncio.subprocess.Process:
        pipe = asyncio.subprocess.PIPE
        return await asyncio.create_subprocess_exec(
            sys.executable, "-c", FAKE_WORKER, *self.lines, stdin=pipe, stdout=pipe, stderr=pipe
        )

    def refill(self) -> None:
        """No spares to start."""
