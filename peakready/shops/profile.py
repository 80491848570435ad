"""The shop profile: how each step of a shopper's session talks to one shop.

A profile is data — shipped as presets for real platforms and the demo
(``peakready/shops/profiles/*.yaml``), or written in a scenario — so no code
path knows one shop's API. For each step of a flow (``browse:collection``,
``cart:add``, ``checkout:pay``; the names in peakready.flows, which the
report, the SLOs and the baseline use) it says the request to send, what to
keep from the answer, and how to judge it:

```yaml
steps:
  cart:add:
    request: {method: POST, path: /api/cart/items, json: {product: "{product}", quantity: 1}}
    expect: {status: [200, 201], errors: [{json: error}]}
  checkout:start:
    request: {method: POST, path: /api/checkout}
    capture: {checkout_id: {json: checkout_id}}
```

A step may be a list of requests (fetch a form for its CSRF token, then post
it); all of them are reported under the step's name. Values come from the
session (``{session}``, a unique id; ``{campaign}``, ``{code}``, ``{link}``
and the campaign's ``{utm_source}``...), from the profile's ``values`` (which
may use the session's: ``email: "shopper+{session}@example.test"``), from
earlier captures, and from ``${ENV}`` secrets in headers.
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from typing import Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from selectolax.lexbor import LexborHTMLParser

from peakready.flows import LANDING, STEPS, FlowKind
from peakready.shops.capture import Compiled, compile_capture
from peakready.shops.template import Text, Tree
from peakready.units import regex_expr

ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
POOL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SESSION_VALUES = ("session", "seq", "base_url", "campaign", "code", "link", "landing",
                  "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
                  "quantity")
FLOW_STEPS = tuple(dict.fromkeys(s for kind in FlowKind for s in STEPS[kind]
                                 if s != LANDING))
MUTATING = frozenset({"checkout:pay", "wallet:pay"})  # place an order


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def jmespath_expr(value: str) -> str:
    """``value``, when it is a JMESPath expression; a ValueError saying so otherwise."""
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        raise ValueError(f"not a JMESPath expression: {value!r} ({exc})") from None
    return value


class Capture(_Strict):
    """Where a value is in an answer: exactly one of json, regex, css, field,
    header, cookie."""

    json_: str | None = Field(None, alias="json", description="JMESPath in a JSON answer.")
    regex: str | None = Field(None, description="A regular expression over the body; its "
                              "first group, if it has one.")
    css: str | None = Field(None, description="A CSS selector; the element's text, or `attr`.")
    attr: str | None = Field(None, description="With css: the attribute to read (href).")
    field: str | None = Field(None, description="A form field's value (input, select, "
                              "textarea) by name: a CSRF token, a hidden input.")
    form: str | None = Field(None, description="With field: a CSS selector of the form.")
    header: str | None = Field(None, description="A response header (a session token).")
    cookie: str | None = Field(None, description="A cookie the answer set.")
    pick: Literal["first", "random", "last", "all"] = Field(
        "first", description="Which match: the first, a random one, the last, or all (a list).")
    optional: bool = Field(False, description="Finding nothing does not fail the step.")

    @model_validator(mode="after")
    def _one_source(self) -> Capture:
        given = [k for k in ("json_", "regex", "css", "field", "header", "cookie")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of json, regex, css, field, header, cookie")
        if self.attr is not None and self.css is None:
            raise ValueError("attr goes with css")
        if self.form is not None and self.field is None:
            raise ValueError("form goes with field")
        if self.json_ is not None:
            jmespath_expr(self.json_)
        if self.regex is not None:
            regex_expr(self.regex)
        for selector in (self.css, self.form):
            if selector is not None:
                try:
                    LexborHTMLParser("<p></p>").css(selector)
                except Exception as exc:  # selectolax raises its own types for a bad selector
                    raise ValueError(f"not a CSS selector: {selector!r} ({exc})") from None
        return self

    @cached_property
    def compiled(self) -> Compiled:
        return compile_capture(json=self.json_, regex=self.regex, css=self.css, attr=self.attr,
                               field=self.field, form=self.form, header=self.header,
                               cookie=self.cookie, pick=self.pick)


class Expect(_Strict):
    """How a step judges its answer; a failed judgement fails the step with a
    reason that names it and shows (escaped, truncated) what came back."""

    status: list[int] | None = Field(None, description=(
        "Accepted statuses, after following redirects on the target's own origin "
        "(default: any 2xx)."))
    match: str | None = Field(None, description="A JMESPath that must be true in the JSON "
                              "answer (`order.id`, `length(errors) == `0``).")
    contains: str | None = Field(None, description="A regular expression the body must "
                                 "match (`Thank you for your order`).")
    errors: list[Capture] = Field(default_factory=list, description=(
        "Where the shop puts an error or refusal message, in an answer of any status "
        "(GraphQL `errors[].message`, an `errorCode`, a `.alert-danger`); one found "
        "fails the step with that message."))

    @cached_property
    def accepted(self) -> frozenset[int]:
        return frozenset(range(200, 300) if self.status is None else self.status)

    @cached_property
    def compiled_match(self) -> Compiled | None:
        return None if self.match is None else compile_capture(json=self.match)

    @cached_property
    def compiled_contains(self) -> Compiled | None:
        return None if self.contains is None else compile_capture(regex=self.contains)

    @field_validator("match")
    @classmethod
    def _match(cls, v: str | None) -> str | None:
        return v if v is None else jmespath_expr(v)

    @field_validator("contains")
    @classmethod
    def _contains(cls, v: str | None) -> str | None:
        return v if v is None else regex_expr(v)


class GraphQL(_Strict):
    query: str = Field(description="The query or mutation, written as it is (never a "
                       "template: its braces are GraphQL's).")
    variables: dict[str, Any] = Field(default_factory=dict, description="Templates allowed "
                                      "in string values.")
    operation: str | None = Field(None, description="operationName, if the query has several.")


class Request(_Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str = Field(description="A path on the target (`/api/cart`, "
                      "`/products/{product}`), or one placeholder holding a captured link "
                      "on the target's own origin.")
    query: dict[str, str | int | float | bool] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict, description="`${NAME}` is read from "
                                    "the environment: secrets never go in a file or report.")
    json_: Any = Field(None, alias="json", description="A JSON body (templates in strings).")
    form: dict[str, Any] | None = Field(None, description="A form body (templates in values).")
    graphql: GraphQL | None = None

    @model_validator(mode="after")
    def _shape(self) -> Request:
        bodies = [k for k in ("json_", "form", "graphql") if getattr(self, k) is not None]
        if len(bodies) > 1:
            raise ValueError("give one body: json, form or graphql")
        path = self.path
        lone = Text.compile(path).whole is not None
        if not lone and (not path.startswith("/") or path.startswith("//")):
            raise ValueError("path: a path on the target starting with `/` (requests never go "
                             "to another host), or one placeholder holding a captured link")
        for name, value in self.headers.items():
            rest = ENV.sub("", value)
            if "$" in rest or any(c in value for c in "\r\n\0"):
                raise ValueError(f"headers.{name}: secrets are ${{ENV_NAME}}; no other `$`, "
                                 "no line breaks")
        return self

    @cached_property
    def templates(self) -> dict[str, Any]:
        """Everything that is a template, compiled once."""
        out: dict[str, Any] = {"path": Text.compile(self.path),
                               "query": {k: Text.compile(str(v)) for k, v in self.query.items()},
                               "headers": {k: Text.compile(v) for k, v in self.headers.items()}}
        if self.json_ is not None:
            out["json"] = Tree.compile(self.json_)
            out["json_bytes"] = json.dumps(self.json_).encode()  # when it is constant
        if self.form is not None:
            out["form"] = Tree.compile(self.form)
        if self.graphql is not None:
            out["variables"] = Tree.compile(self.graphql.variables)
        return out

    def names(self) -> set[str]:
        found: set[str] = set()
        for key, value in self.templates.items():
            if key == "json_bytes":
                continue
            if isinstance(value, dict):
                for t in value.values():
                    found |= t.names
            else:
                found |= value.names
        return found


class Part(_Strict):
    """One request of a step, what it keeps and how it is judged."""

    request: Request
    capture: dict[str, Capture] = Field(default_factory=dict)
    expect: Expect = Field(default_factory=Expect)


class Landing(_Strict):
    """The landing page is the campaign's own link; a profile only says what to
    keep from it (a collection to browse) and how to judge it."""

    capture: dict[str, Capture] = Field(default_factory=dict)
    expect: Expect = Field(default_factory=Expect)


class Listing(_Strict):
    """A list the checks read from the shop: its products with prices, a code's
    validity and usage, the attribution of orders. ``items`` finds each item
    (JMESPath to a list of objects, or a CSS selector of elements); each of
    ``fields`` is read inside one item (JMESPath in the object, CSS within the
    element)."""

    request: Request
    items: Capture = Field(description="Where the items are: `{json: products}` or "
                           "`{css: article.product_pod}`.")
    fields: dict[str, Capture] = Field(description="What to read in each item.")
    next: Capture | None = Field(None, description="A cursor for the next page, filled into "
                                 "`{after}` (attribution only).")
    amounts: Literal["minor", "major"] | None = Field(None, description="How this list writes "
                                                      "amounts, when not as the profile's "
                                                      "`amounts` (Shopify: `/products.json` "
                                                      "in major units, `/cart.js` in minor).")
    expect: Expect = Field(default_factory=Expect)

    @model_validator(mode="after")
    def _items(self) -> Listing:
        if self.items.json_ is None and self.items.css is None:
            raise ValueError("items: a JMESPath (`json:`) or a CSS selector (`css:`)")
        if self.items.css is not None and self.items.attr is not None:
            raise ValueError("items: a CSS selector of the elements, without `attr`")
        for name, spec in self.fields.items():
            if spec.header is not None or spec.cookie is not None:
                raise ValueError(f"fields.{name}: read inside the item (json, regex, css, "
                                 "field), not from a header or cookie")
        return self

    def require(self, *names: str) -> None:
        missing = [n for n in names if n not in self.fields]
        if missing:
            raise ValueError(f"fields: give {', '.join(missing)}")


# What the checks read from a cart (``totals``): amounts as the shop shows them
# ("£12.00", 1200 cents), its currency and the codes on it.
TOTALS_FIELDS = ("subtotal", "total", "discount", "shipping", "currency", "codes")


class Pool(_Strict):
    """Rows of a CSV file (products, addresses, test cards) as an alternative to
    discovering them: each session takes one row, read as ``{name.column}``."""

    file: str = Field(min_length=1, description="A comma-separated UTF-8 file with a "
                      "header line naming the columns, relative to the scenario file. Read "
                      "once per run (by each worker of a distributed run).")
    pick: Literal["sequential", "random"] = Field(
        "sequential", description="Which row a session takes: `sequential` (round-robin over "
        "the sessions; in a distributed run each worker goes round its own copy, so rows "
        "repeat across workers) or `random`.")
    secret: bool | None = Field(None, description="Mask the pool's values in what `peakready "
                                "shop try` prints (default: when the pool's name contains "
                                "card, token, password or secret).")


class Profile(_Strict):
    """How peakready's sessions, promo checks and race probe talk to one shop."""

    name: str = Field(min_length=1, description="What reports call the shop's profile.")
    reference: str = Field("", description="Where these requests come from: the "
                           "platform's API reference.")
    notes: str = Field("", description="What the profile cannot do, and why.")
    currency: str | None = Field(None, min_length=3, max_length=3, description="The shop's "
                                 "ISO 4217 currency (`EUR`), when its cart does not say it.")
    amounts: Literal["minor", "major"] = Field("minor", description="How the shop writes "
                                               "amounts: `minor` units (1999 cents) or "
                                               "`major` (`19.99`, `£19.99`).")
    values: dict[str, Any] = Field(default_factory=dict, description="Constants and "
                                   "per-session values (templates: `shopper+{session}@x.test`).")
    pools: dict[str, Pool] = Field(default_factory=dict, description="Data from CSV "
                                   "files: each session takes one row of each pool, read as "
                                   "`{card.number}` (a pool replaces a value of its name).")
    landing: Landing = Field(default_factory=Landing)
    steps: dict[str, list[Part]] = Field(default_factory=dict, description="Step name -> its "
                                         "request(s): one part, or a list of parts.")
    # What the promo checks need beyond the flows' steps (they add items with
    # `cart:add`, enter codes with `checkout:promo` and check out with the
    # checkout steps):
    catalog: Listing | None = Field(None, description="Products and prices, to build carts "
                                    "of a chosen value: fields `price` (and `name`, shown in "
                                    "reports); every other field is a value `cart:add` uses.")
    new_cart: list[Part] = Field(default_factory=list, description="Requests a check's new "
                                 "cart starts with (a page holding a CSRF token).")
    totals: list[Part] = Field(default_factory=list, description="Reading the cart: captures "
                               "`subtotal` and `total` (and `discount`, `shipping`, "
                               "`currency`, `codes` when the shop shows them).")
    messages: bool = Field(True, description="Whether the shop says why it refuses a code "
                           "(a refusal without one is then a finding).")
    code_info: Listing | None = Field(None, description="A code's validity and usage (`{code}`):"
                                      " fields `code`, and any of `starts_at`, `ends_at`, "
                                      "`usage_limit`, `used`.")
    attribution: Listing | None = Field(None, description="Orders and their campaign "
                                        "(`{after}`: the cursor): fields `order_id`, "
                                        "`utm_source`, `utm_medium`, `utm_campaign`, `codes`.")

    @field_validator("steps", "totals", "new_cart", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any, info: Any) -> Any:
        if info.field_name != "steps":
            return v if isinstance(v, list) or v is None else [v]
        if isinstance(v, dict):
            return {k: part if isinstance(part, list) else [part] for k, part in v.items()}
        return v

    @model_validator(mode="after")
    def _pool_names(self) -> Profile:
        captured = {k for parts in (*self.steps.values(), self.new_cart, self.totals)
                    for part in parts for k in part.capture} | set(self.landing.capture)
        for name in self.pools:
            if not POOL_NAME.fullmatch(name):
                raise ValueError(f"pools.{name}: a pool's name is letters, digits and `_` "
                                 "(it is read as `{name.column}`)")
            if name in SESSION_VALUES:
                raise ValueError(f"pools.{name}: `{name}` is a session value; give the pool "
                                 "another name")
            if name in captured:
                raise ValueError(f"pools.{name}: a step captures `{name}` too, which would "
                                 "replace the row mid-session; give the pool another name")
        return self

    @model_validator(mode="after")
    def _known_steps(self) -> Profile:
        for name, parts in self.steps.items():
            if name not in FLOW_STEPS:
                hint = " (the landing is `landing:`, beside steps)" if name == LANDING else ""
                raise ValueError(f"steps: unknown step {name!r}{hint}; steps are: "
                                 f"{', '.join(FLOW_STEPS)}")
            if not parts:
                raise ValueError(f"steps.{name}: give at least one request")
        return self

    @model_validator(mode="after")
    def _check_sources(self) -> Profile:
        if self.catalog is not None:
            try:
                self.catalog.require("price")
            except ValueError as exc:
                raise ValueError(f"catalog.{exc}") from None
            if len(self.catalog.fields) < 2:
                raise ValueError("catalog.fields: besides `price`, the value(s) `cart:add` "
                                 "needs (`product: {json: slug}`)")
            if self.currency is None and (self.catalog.amounts or self.amounts) == "minor":
                raise ValueError("currency: needed to read the catalog's prices in minor "
                                 "units (`EUR`); or `catalog.amounts: major` when they are "
                                 "written `19.99`")
        if self.totals:
            kept = {k for part in self.totals for k in part.capture}
            missing = [k for k in ("subtotal", "total") if k not in kept]
            if missing:
                raise ValueError(f"totals: capture {' and '.join(missing)} (also, if the "
                                 f"shop shows them: discount, shipping, currency, codes)")
        for name, listing, needed in (("code_info", self.code_info, ("code",)),
                                      ("attribution", self.attribution, ("order_id",))):
            if listing is not None:
                try:
                    listing.require(*needed)
                except ValueError as exc:
                    raise ValueError(f"{name}.{exc}") from None
        return self

    def can_read_carts(self) -> list[str]:
        """What the promo checks need that this profile lacks (empty: nothing)."""
        have = {"catalog": self.catalog is not None, "totals": bool(self.totals),
                "steps.cart:add": "cart:add" in self.steps,
                "steps.checkout:promo": "checkout:promo" in self.steps}
        return [k for k, ok in have.items() if not ok]

    @cached_property
    def reads_headers(self) -> bool:
        """Whether any capture or judgement reads a response header (otherwise a
        transport need not hand them over, except for a redirect)."""
        captures = [c for parts in self.steps.values() for p in parts
                    for c in (*p.capture.values(), *p.expect.errors)]
        captures += [*self.landing.capture.values(), *self.landing.expect.errors]
        return any(c.header is not None for c in captures)

    @cached_property
    def value_templates(self) -> dict[str, Tree]:
        return {name: Tree.compile(value) for name, value in self.values.items()}

    def supports(self, kind: FlowKind) -> list[str]:
        """The steps of this flow kind the profile lacks (empty: supported)."""
        return [s for s in STEPS[kind] if s != LANDING and s not in self.steps]
