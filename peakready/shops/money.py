"""Money as exact decimals, and each currency's minor unit.

Amounts cross the adapter boundary as ``Decimal`` in major units (``19.99``
euros), never floats, so a discount can be compared with the promise to the
cent. Shops answer in minor units (Shopify's ``total_price: 1999``, the
demo's ``*_cents``), in major units (``"19.99"``) or as a page shows them
(``£1,234.50``, ``12,50 €``); ``to_major`` normalises. A shown amount's
decimal separator is the last ``.`` or ``,`` followed by as many digits as
the currency's minor unit has; any other ``.``, ``,``, space or apostrophe
is a thousands separator.

The minor-unit table is ISO 4217's list of currencies whose minor unit is
not two digits. It is written out here rather than taken from Babel because
these twenty entries are all that is needed and Babel would bring a 30 MB
locale database along for them.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217, "List one: currency, fund and precious metal codes", column
# "Minor unit", for the codes where it is not 2.
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}


def exponent(currency: str) -> int:
    """Digits of the minor unit: 2 for EUR, 0 for JPY, 3 for KWD."""
    return _EXPONENTS.get(currency.upper(), 2)


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


_SHOWN = re.compile(r"^[^\d.,+-]*([+-]?)[^\d.,]*([\d.,' \u00a0\u202f]*\d)[^\d]*$")


def _shown(text: str, currency: str) -> str:
    """``£1,234.50`` -> ``1234.50``; ``-12,50 €`` -> ``-12.50``."""
    m = _SHOWN.match(text.strip())
    if not m:
        return text
    sign, digits = m.group(1), re.sub(r"['\s\u00a0\u202f]", "", m.group(2))
    places = exponent(currency)
    cut = max(digits.rfind("."), digits.rfind(","))
    if cut >= 0 and places and len(digits) - cut - 1 == places:
        whole, frac = digits[:cut], digits[cut + 1:]
    else:
        whole, frac = digits, ""
    whole = whole.replace(".", "").replace(",", "")
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


def to_major(value: object, currency: str, in_minor: bool) -> Decimal:
    """A shop's amount (``1999`` cents, ``"19.99"``, ``"£19.99"``) as exact
    major units."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected an amount, got {value!r}")
    text = str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        try:
            amount = Decimal(_shown(text, currency))
        except InvalidOperation:
            raise ValueError(f"expected an amount, got {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"expected a finite amount, got {value!r}")
    return amount.scaleb(-exponent(currency)) if in_minor else amount


def is_rounded(amount: Decimal, currency: str) -> bool:
    """True when the amount is a whole number of the currency's minor unit."""
    return amount == amount.quantize(minor_unit(currency))


def round_minor(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def fmt(amount: Decimal, currency: str) -> str:
    return f"{amount:.{exponent(currency)}f} {currency.upper()}"
