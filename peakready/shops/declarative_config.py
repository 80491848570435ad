"""Configuration of the declarative shop adapter: endpoints and JSON fields.

Every request is a path on the target (never another host), with
``{placeholders}`` filled at run time: ``{product}``, ``{quantity}`` in
``add_item``; ``{code}`` in ``apply_code`` and ``code_info``; ``{after}`` in
``attribution``; and in ``checkout`` steps whatever an earlier step
``save``\\ d. Fields are JMESPath expressions (https://jmespath.org), e.g.
``total_cents``, ``cart.totals.grand``, ``discount_codes[?applicable].code``.
The demo and Shopify-style adapters are presets of this same model.
"""

from __future__ import annotations

import re
import string
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from peakready.shops.profile import jmespath_expr

Scalar = str | int | float | bool
ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")  # ${SHOP_TOKEN} in a header value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def placeholders(template: Any) -> set[str]:
    """Names of the ``{placeholders}`` in a string, or in a body's strings."""
    if isinstance(template, str):
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if isinstance(template, dict):
        return set().union(*(placeholders(v) for v in template.values()))
    if isinstance(template, list):
        return set().union(*(placeholders(v) for v in template))
    return set()


_jmespath = jmespath_expr


class Request(_Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str = Field(description="A path on the target, such as /api/cart.")
    query: dict[str, Scalar] = Field(default_factory=dict)
    body: dict[str, Any] | None = Field(None, description="JSON body.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers; "
                                    "`${NAME}` is read from the environment (tokens never "
                                    "go in the scenario, nor in a report).")
    save: dict[str, str] = Field(default_factory=dict, description="Variables for later "
                                 "steps: name -> JMESPath in this response.")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or v.startswith("//"):
            raise ValueError("must be a path on the target starting with `/` (requests never "
                             "go to another host)")
        return v

    @field_validator("headers")
    @classmethod
    def _headers(cls, v: dict[str, str]) -> dict[str, str]:
        for name, value in v.items():
            for bad in ENV.sub("", value), name:
                if "$" in bad or "{" in bad:
                    raise ValueError(f"header {name}: write secrets as ${{ENV_NAME}}, "
                                     "nothing else with $ or braces")
        return v

    @field_validator("save")
    @classmethod
    def _save(cls, v: dict[str, str]) -> dict[str, str]:
        return {k: _jmespath(p) for k, p in v.items()}

    def names(self) -> set[str]:
        return placeholders(self.path) | placeholders(self.query) | placeholders(self.body)


class ListSource(Request):
    items: str = Field(description="JMESPath to the list of items in the response.")
    fields: dict[str, str] = Field(description="Our name -> JMESPath within one item.")
    amounts: Literal["minor", "major"] = Field("minor", description="Amounts in minor units "
                                               "(1999) or major units (\"19.99\").")
    next: str | None = Field(None, description="JMESPath to the cursor of the next page; "
                             "it becomes {after}.")
    after: Scalar = Field(0, description="{after} of the first page (numeric order ids "
                          "start just below the smallest one wanted).")

    @field_validator("items", "next")
    @classmethod
    def _paths(cls, v: str | None) -> str | None:
        return v if v is None else _jmespath(v)

    @field_validator("fields")
    @classmethod
    def _field_paths(cls, v: dict[str, str]) -> dict[str, str]:
        return {k: _jmespath(p) for k, p in v.items()}


def _needs(source: ListSource | None, required: tuple[str, ...], optional: tuple[str, ...],
           what: str) -> None:
    if source is None:
        return
    missing = [f for f in required if f not in source.fields]
    unknown = sorted(set(source.fields) - set(required) - set(optional))
    if missing:
        raise ValueError(f"{what}.fields: missing {', '.join(missing)}")
    if unknown:
        raise ValueError(f"{what}.fields: unknown field {unknown[0]!r}; known: "
                         f"{', '.join(required + optional)}")


class CartFields(_Strict):
    subtotal: str
    total: str
    discount: str | None = Field(None, description="Default: subtotal + shipping - total.")
    shipping: str | None = None
    currency: str | None = Field(None, description="JMESPath; or set `currency:` instead.")
    codes: str = Field(description="The codes applied (a list, or a comma-separated string).")
    error: str | None = Field(None, description="The shopper-facing message in an error "
                              "response.")

    @model_validator(mode="after")
    def _paths(self) -> CartFields:
        for value in self.model_dump().values():
            if value is not None:
                _jmespath(value)
        return self


class OrderFields(_Strict):
    id: str
    codes: str | None = None


class DeclarativeConfig(_Strict):
    products: ListSource = Field(description="The catalog: fields id and price.")
    add_item: Request
    apply_code: Request
    cart: Request = Field(description="Read the cart; its JSON is read with cart_fields.")
    cart_fields: CartFields
    amounts: Literal["minor", "major"] = "minor"
    currency: str | None = Field(None, min_length=3, max_length=3,
                                 description="ISO 4217 code, when the cart does not say.")
    messages: bool = Field(True, description="Whether the shop explains a rejected code "
                           "in its API answer.")
    checkout: list[Request] = Field(default_factory=list, description="Steps that turn the "
                                    "cart into an order; the last one places it.")
    order: OrderFields | None = None
    attribution: ListSource | None = None
    code_info: ListSource | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DeclarativeConfig:
        _needs(self.products, ("id", "price"), (), "products")
        _needs(self.attribution, ("order_id", "utm_source", "utm_medium", "utm_campaign",
                                  "codes"), (), "attribution")
        _needs(self.code_info, ("code",), ("starts_at", "ends_at", "usage_limit", "used"),
               "code_info")
        if self.checkout and self.order is None:
            raise ValueError("checkout needs `order:` (where the order id is in the answer)")
        if self.cart_fields.currency is None and self.currency is None:
            raise ValueError("say the currency: cart_fields.currency or currency")
        for what, req, allowed in (("add_item", self.add_item, {"product", "quantity"}),
                                   ("apply_code", self.apply_code, {"code"}),
                                   ("cart", self.cart, set())):
            _known(what, req, allowed)
        if self.code_info:
            _known("code_info", self.code_info, {"code"})
        if self.attribution:
            _known("attribution", self.attribution, {"after"})
        saved: set[str] = set()
        for i, step in enumerate(self.checkout):
            _known(f"checkout[{i}]", step, saved)
            saved |= set(step.save)
        return self


def _known(what: str, req: Request, allowed: set[str]) -> None:
    unknown = sorted(req.names() - allowed)
    if unknown:
        have = ", ".join(sorted(allowed)) or "none"
        raise ValueError(f"{what}: unknown placeholder {{{unknown[0]}}}; available: {have}")
