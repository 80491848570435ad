"""``manage seed_shop``: the catalogue and the vouchers the tests use.

Run once into the template database (tests/support/oscar.py); every shop
starts from a copy. Amounts are GBP, without tax (oscar's default strategy,
``NoTax``: the price shown is the price paid). Shipping is oscar's default
repository: one method, "Free shipping", to the two shipping countries GB
and IE.

Vouchers (each a ``voucher.Voucher`` linked to one ``offer.ConditionalOffer``
of type "Voucher" with ``max_basket_applications=1``, over a range of every
product):

- WELCOME10: 10% off, usage "Multi-use", no limit.
- LIMITED5: 10% off, usage "Multi-use", and its offer's
  ``max_global_applications=5``. Oscar's voucher has no "N uses in total"
  setting (``usage`` is Single use / Multi-use / Once per customer, and
  "Once per customer" refuses guests); the offer's global cap is what limits
  total redemptions: each order applying it adds ``frequency`` (1 here) to
  ``offer_conditionaloffer.num_applications``, and once that reaches 5 the
  offer is "Consumed" and the code no longer gives a discount (adding it
  says "Your basket does not qualify for a voucher discount").
- EXPIRED: 10% off, ended yesterday.
- MIN50: £5 off when the basket's value is at least £50 (a "Value"
  condition of 50).
"""

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_model

Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
ProductClass = get_model("catalogue", "ProductClass")
Product = get_model("catalogue", "Product")
Category = get_model("catalogue", "Category")
ProductCategory = get_model("catalogue", "ProductCategory")
Range = get_model("offer", "Range")
Condition = get_model("offer", "Condition")
Benefit = get_model("offer", "Benefit")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Voucher = get_model("voucher", "Voucher")
Country = get_model("address", "Country")

# (title, SKU, price, stock)
PRODUCTS = [
    ("Wool Scarf", "WS-01", "12.00", 100),
    ("Thermal Gloves", "TG-02", "18.50", 100),
    ("Knitted Beanie", "KB-03", "9.99", 100),
    ("Fleece Jumper", "FJ-04", "39.00", 100),
    ("Snow Boots", "SB-05", "74.00", 100),
    ("Ski Jacket", "SJ-06", "129.00", 100),
    ("Hot Water Bottle", "HW-07", "7.50", 100),
    ("Wool Socks (3 pack)", "WO-08", "14.00", 100),
    ("Down Blanket", "DB-09", "55.00", 100),
    ("Last Sledge", "LS-10", "45.00", 3),
]


def voucher(code, *, benefit, condition, start, end, max_global=None):
    offer = ConditionalOffer.objects.create(
        name=f"Voucher {code}", offer_type=ConditionalOffer.VOUCHER,
        condition=condition, benefit=benefit, max_basket_applications=1,
        max_global_applications=max_global)
    v = Voucher.objects.create(name=f"Voucher {code}", code=code, usage=Voucher.MULTI_USE,
                               start_datetime=start, end_datetime=end)
    v.offers.add(offer)
    return v


class Command(BaseCommand):
    help = "Seed the test shop: a partner, a category, 10 products, 4 vouchers."

    @transaction.atomic
    def handle(self, *args, **options):
        # Two shipping countries, so the address form shows its country
        # <select> (with one, oscar drops the field and uses that country).
        Country.objects.create(iso_3166_1_a2="GB", iso_3166_1_a3="GBR", iso_3166_1_numeric="826",
                               name="United Kingdom", printable_name="United Kingdom",
                               display_order=1, is_shipping_country=True)
        Country.objects.create(iso_3166_1_a2="IE", iso_3166_1_a3="IRL", iso_3166_1_numeric="372",
                               name="Ireland", printable_name="Ireland", is_shipping_country=True)
        partner = Partner.objects.create(name="Peak Partner")
        kind = ProductClass.objects.create(name="Clothing", requires_shipping=True,
                                           track_stock=True)
        winter = Category.add_root(name="Winter", slug="winter", is_public=True)
        for title, sku, price, stock in PRODUCTS:
            product = Product.objects.create(title=title, product_class=kind,
                                             structure=Product.STANDALONE, is_public=True)
            ProductCategory.objects.create(product=product, category=winter)
            StockRecord.objects.create(product=product, partner=partner, partner_sku=sku,
                                       price_currency="GBP", price=Decimal(price),
                                       num_in_stock=stock)

        everything = Range.objects.create(name="Everything", includes_all_products=True)
        one_item = Condition.objects.create(range=everything, type=Condition.COUNT, value=1)
        now = timezone.now()
        start, end = now - timedelta(days=1), now + timedelta(days=3650)

        def ten_percent():
            return Benefit.objects.create(range=everything, type=Benefit.PERCENTAGE, value=10)

        voucher("WELCOME10", benefit=ten_percent(), condition=one_item, start=start, end=end)
        voucher("LIMITED5", benefit=ten_percent(), condition=one_item, start=start, end=end,
                max_global=5)
        voucher("EXPIRED", benefit=ten_percent(), condition=one_item,
                start=now - timedelta(days=30), end=now - timedelta(days=1))
        fifty = Condition.objects.create(range=everything, type=Condition.VALUE, value=50)
        five_off = Benefit.objects.create(range=everything, type=Benefit.FIXED, value=5)
        voucher("MIN50", benefit=five_off, condition=fifty, start=start, end=end)
        self.stdout.write(f"seeded {len(PRODUCTS)} products, 4 vouchers, 2 countries")
