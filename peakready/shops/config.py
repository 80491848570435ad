"""The scenario's ``promo:`` section: what each code promises, how codes may
combine, the opt-in usage-limit race probe and the attribution threshold.
How to talk to the shop is its profile (the scenario's ``shop:``), the same
one the load uses.

Amounts are in the shop's currency, in major units (``10`` = €10, ``59.99``).
Campaign windows are in the shop's time zone (``target.timezone``): a date
alone starts at 00:00 and ends at 24:00 of that day.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _parse_when(value: Any) -> dt.date | dt.datetime:
    if isinstance(value, dt.date):  # YAML already parsed it (a datetime is a date too)
        return value
    if isinstance(value, str):
        try:
            if _DATE.match(value):
                return dt.date.fromisoformat(value.strip())
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date (2025-11-28) or a date and time (2025-11-28 18:00), "
                     f"got {value!r}")


When = Annotated[dt.date | dt.datetime, BeforeValidator(_parse_when)]


class Window(_Strict):
    start: When
    end: When

    def bounds(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """The window as aware datetimes; a date ``end`` means through that whole day."""
        return _at(self.start, tz, end=False), _at(self.end, tz, end=True)

    @model_validator(mode="after")
    def _order(self) -> Window:
        start, end = self.bounds(dt.UTC)
        if end <= start:
            raise ValueError("end must be after start")
        return self


def _at(when: dt.date | dt.datetime, tz: dt.tzinfo, *, end: bool) -> dt.datetime:
    if isinstance(when, dt.datetime):
        return when if when.tzinfo else when.replace(tzinfo=tz)
    day = when + dt.timedelta(days=1) if end else when
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)


class CodeExpectation(_Strict):
    kind: Literal["percent", "fixed"]
    value: Decimal = Field(gt=0, description="Percent off (20 = 20 %), or the amount off.")
    min_spend: Decimal = Field(Decimal(0), ge=0, description="Smallest cart subtotal the "
                               "code is promised to work from (0: any cart).")
    window: Window | None = Field(None, description="The campaign window the code must "
                                  "cover, in the shop's time zone.")
    case_insensitive: bool = Field(True, description="Whether mia20 and Mia20 must work "
                                   "like MIA20.")

    @model_validator(mode="after")
    def _percent(self) -> CodeExpectation:
        if self.kind == "percent" and self.value > 100:
            raise ValueError("a percent discount must be <= 100")
        return self


class StackRule(_Strict):
    codes: tuple[str, str]
    stacks: bool = Field(description="Whether the checkout must accept both codes together.")


class RaceProbe(_Strict):
    code: str = Field(min_length=1, description="A code with a usage limit, kept for this "
                      "probe: it is redeemed up to `concurrency` times.")
    limit: int | None = Field(None, ge=1, description="Redemptions left on the code; read "
                              "from the shop when its adapter can.")
    concurrency: int = Field(20, ge=2, le=100, description="Checkouts fired at once.")

    @model_validator(mode="after")
    def _more_than_limit(self) -> RaceProbe:
        if self.limit is not None and self.concurrency <= self.limit:
            raise ValueError("concurrency must be greater than limit, or nothing can race")
        return self


class AttributionPolicy(_Strict):
    max_missing_rate: float = Field(0.01, ge=0, le=1, description="Share of the replay's "
                                    "campaign orders that may be missing or misattributed.")


MOVED = {
    "adapter": "promo.adapter is gone: the checks talk to the shop through its profile, "
               "like the load. Write `shop: {preset: NAME}` at the top level instead (presets: "
               "demo, shopify, woocommerce, magento2, medusa, saleor, oscar); for the demo "
               "shop, just remove the line",
    "declarative": "promo.declarative is gone: describe the shop once, as a shop profile "
                   "(`shop: {profile: FILE}`, or a preset with `steps:` overrides): its "
                   "`catalog`, `totals`, `cart:add`, `checkout:promo` and checkout steps "
                   "replace products, cart, add_item, apply_code and checkout. See README, "
                   "\"Shop profile\"",
}


class PromoSection(_Strict):
    cart_value: Decimal = Field(Decimal(80), gt=0, description="Subtotal of the "
                                "representative cart codes are tried on.")
    codes: dict[str, CodeExpectation] = Field(default_factory=dict)
    stacking: list[StackRule] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list, description="Expired or retired "
                                "codes the shop must refuse (an unknown one is always tried).")
    race: RaceProbe | None = Field(None, description="Opt-in usage-limit race probe; places "
                                   "orders, so it needs target.mutations.")
    attribution: AttributionPolicy = Field(default_factory=AttributionPolicy)

    @field_validator("codes")
    @classmethod
    def _code_names(cls, v: dict[str, CodeExpectation]) -> dict[str, CodeExpectation]:
        for code in v:
            if not code.strip() or code != code.strip():
                raise ValueError(f"code {code!r}: write the code as the creator posts it, "
                                 "without surrounding spaces")
        return v

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, why in MOVED.items():
                if key in data:
                    raise ValueError(why)
        return data
