"""What came back from one request, read once however many captures look.

The HTML parser is selectolax (Lexbor, in C): a step that captures a CSRF
token or a product link parses the page on the load generator, thousands of
times a second, and it is several times faster than BeautifulSoup or lxml for
that, with CSS selectors built in. JSON is parsed once and shared by every
JMESPath capture and judgement of the step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser

_UNSET: Any = object()


@dataclass(slots=True)
class Answer:
    """One response: status (0 when none came), headers, body, final URL.
    The body is decoded only when something reads it (a landing that only
    counts never does)."""

    status: int
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)  # case-insensitive
    url: str = ""
    cookies: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None  # no answer: what went wrong (connection refused, timeout)
    elapsed_ms: float = 0.0
    _text: str | None = field(default=None, repr=False)
    _json: Any = field(default=_UNSET, repr=False)
    _html: LexborHTMLParser | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self._text is None:
            body = self.body
            self._text = body if isinstance(body, str) else body.decode("utf-8", "replace")
        return self._text

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        if self._json is _UNSET:
            try:
                self._json = json.loads(self.text) if self.text else None
            except ValueError:
                self._json = None
                raise ValueError("the answer is not JSON") from None
        return self._json

    def is_json(self) -> bool:
        try:
            self.json()
        except ValueError:
            return False
        return self._json is not None

    def html(self) -> LexborHTMLParser:
        if self._html is None:
            self._html = LexborHTMLParser(self.text or "")
        return self._html

    def excerpt(self, limit: int = 300) -> str:
        """The first characters of the body, on one line, for a failure reason."""
        text = " ".join((self.text or "").split())
        return text[:limit] + ("…" if len(text) > limit else "")
