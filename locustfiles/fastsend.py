"""The one private Locust call peakready makes, kept in one place.

Page views are most of a replay's requests. Sending them through
``FastHttpSession._send_request_safe_mode`` — the send Locust's own
``FastHttpSession.request`` uses, without its per-request options (body,
auth, streaming, a response context) — and firing Locust's request event
ourselves costs the generator about 4 % less CPU per request
(``bench/generator.py``). The method is private to Locust: it exists, with
this signature and behaviour, throughout Locust 2.x, and pyproject.toml pins
Locust below 3. ``tests/test_fastsend.py`` exercises it against a real
server on loopback and fails when a Locust release changes it; the fallback
then is ``session.request(...)``, at that 4 %.
"""

from __future__ import annotations

from collections.abc import Mapping

from locust.contrib.fasthttp import FAILURE_EXCEPTIONS, FastHttpSession, FastResponse

__all__ = ["FAILURE_EXCEPTIONS", "send"]


def send(session: FastHttpSession, method: str, url: str, headers: Mapping[str, str],
         body: bytes | None = None) -> FastResponse:
    """Send one request and never raise for a connection problem or an error
    status: the response carries it in ``.error`` (``status_code`` 0 when no
    answer came)."""
    return session._send_request_safe_mode(method, url, headers=headers, payload=body)


def follow_no_redirects(session: FastHttpSession) -> None:
    """Let the caller follow redirects (peakready follows them on the target's
    own origin only): what ``request(allow_redirects=False)`` does per request,
    once for the session."""
    session.client.redirect_response_codes = frozenset()
