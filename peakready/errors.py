"""Process exit codes (pytest's ExitCode pattern): CI can tell "the shop is
not ready" from "the test did not run properly"."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    GO = 0  # GO, and GO WITH WARNINGS unless --strict
    NO_GO = 1
    BAD_INPUT = 2  # scenario, history file, arguments
    INTERNAL_ERROR = 3
    INCONCLUSIVE = 4  # the generator could not deliver the plan


class BadInput(Exception):
    """User-facing input error: the message names the file, the place and the fix."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def render(self) -> str:
        lines = [str(self)]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)
