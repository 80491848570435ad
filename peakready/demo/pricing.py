"""Cart totals and promo-code rules of the demo storefront.

Money is integer cents throughout; percent discounts round half up to the
cent, and a discount never exceeds the subtotal (totals never go negative).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

FREE_SHIPPING_FROM = 5000
SHIPPING = {"standard": 495, "express": 995}
CURRENCY = "EUR"


class PromoRejected(Exception):
    """A code that does not apply; the message is shown to the shopper."""


@dataclass(frozen=True)
class Promo:
    code: str
    kind: str
    value: int
    starts_at: str
    ends_at: str
    min_spend_cents: int
    usage_limit: int | None
    used: int
    stackable: bool
    case_sensitive: bool

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Promo:
        return cls(row["code"], row["kind"], row["value"], row["starts_at"], row["ends_at"],
                   row["min_spend_cents"], row["usage_limit"], row["used"],
                   bool(row["stackable"]), bool(row["case_sensitive"]))

    def discount(self, subtotal: int) -> int:
        if self.kind == "percent":
            return min(subtotal, (subtotal * self.value + 50) // 100)
        return min(subtotal, self.value)


def euros(cents: int) -> str:
    return f"€{cents // 100}.{cents % 100:02d}"


def find_promo(conn: sqlite3.Connection, entered: str) -> Promo | None:
    code = entered.strip()
    row = conn.execute(
        "SELECT * FROM promos WHERE (case_sensitive = 0 AND code = UPPER(?))"
        " OR (case_sensitive = 1 AND code = ?)", (code, code)).fetchone()
    return Promo.from_row(row) if row else None


def check_applicable(promo: Promo | None, entered: str, subtotal: int, applied: list[Promo],
                     now: dt.datetime) -> Promo:
    """Raise PromoRejected with a shopper-facing message, or return the promo."""
    if promo is None:
        raise PromoRejected(f"The code {entered.strip()!r} is not valid.")
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    if stamp < promo.starts_at:
        raise PromoRejected(f"The code {promo.code} is not active yet.")
    if stamp > promo.ends_at:
        raise PromoRejected(f"The code {promo.code} has expired.")
    if subtotal < promo.min_spend_cents:
        raise PromoRejected(
            f"Spend at least {euros(promo.min_spend_cents)} to use {promo.code}.")
    if promo.usage_limit is not None and promo.used >= promo.usage_limit:
        raise PromoRejected(f"The code {promo.code} has been fully redeemed.")
    if any(p.code == promo.code for p in applied):
        raise PromoRejected(f"The code {promo.code} is already applied.")
    if applied and not (promo.stackable and all(p.stackable for p in applied)):
        raise PromoRejected(f"The code {promo.code} cannot be combined with other codes.")
    return promo


@dataclass(frozen=True)
class Totals:
    subtotal: int
    discounts: list[tuple[str, int]]
    shipping: int
    total: int

    def as_json(self) -> dict:
        return {
            "currency": CURRENCY,
            "subtotal_cents": self.subtotal,
            "discounts": [{"code": c, "amount_cents": a} for c, a in self.discounts],
            "discount_cents": sum(a for _, a in self.discounts),
            "shipping_cents": self.shipping,
            "total_cents": self.total,
        }


def totals(subtotal: int, promos: list[Promo], shipping_method: str = "standard") -> Totals:
    remaining = subtotal
    discounts = []
    for promo in promos:  # applied in order; each on what is left
        amount = promo.discount(remaining)
        discounts.append((promo.code, amount))
        remaining -= amount
    shipping = 0 if subtotal >= FREE_SHIPPING_FROM else SHIPPING.get(shipping_method, 495)
    return Totals(subtotal, discounts, shipping, remaining + shipping)
