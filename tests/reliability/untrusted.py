"""A class no weights file may contain: loading an instance of it would write a marker file."""

from pathlib import Path


class Trap:
    """Writes `marker` when restored, so a load that ran it leaves evidence behind."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __setstate__(self, state: dict[str, str]) -> None:
        Path(state["marker"]).write_text("code from a weights file ran")
        self.__dict__.update(state)
