"""Requests for one cart: its own cookie jar over the context's transport,
templates filled from the cart's variables, header secrets from the
environment.

Each cart gets its own cookie jar, because on a storefront a cart *is* a
cookie: one shared jar would merge every cart into one (and leak into the
run's shared session). The cart's session is derived from the context's
session and shares its transport (connection pools, TLS settings, proxies,
headers), so checks still use the client the context gives them.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote

from peakready.shops import ShopError
from peakready.shops.declarative_config import ENV


def fill(template: Any, values: dict[str, Any], in_path: bool = False) -> Any:
    """``"{code}"`` → the value itself (keeps numbers numbers); else str.format."""
    if isinstance(template, str):
        name = template[1:-1]
        if template.startswith("{") and template.endswith("}") and name in values \
                and not in_path:
            return values[name]
        conv = {k: quote(str(v), safe="") if in_path else v for k, v in values.items()}
        try:
            return template.format(**conv)
        except (KeyError, IndexError, ValueError) as exc:
            raise ShopError(f"cannot fill {template!r}: {exc}") from None
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


def env_headers(headers: dict[str, str]) -> dict[str, str]:
    """Header values with ``${NAME}`` read from the environment; errors name, never show."""
    def value(m: re.Match[str]) -> str:
        if m.group(1) not in os.environ:
            raise ShopError(f"the environment variable {m.group(1)} is not set (a header "
                            "of the declarative adapter needs it)")
        return os.environ[m.group(1)]
    return {k: ENV.sub(value, v) for k, v in headers.items()}
