"""Settings of the test shop, after django-oscar's sandbox/settings.py, less
what needs a service or a network: search is Whoosh's files (as the
sandbox), not Solr or Elasticsearch; no whitenoise, no thumbnails
(``thumbnails.NoThumbnails``), e-mails kept in memory (locmem backend), no
language prefix in the URLs.

The database is one SQLite file and the search index one folder, their
paths given by the environment (``OSCAR_SITE_DB``, ``OSCAR_SITE_INDEX``, set
by tests/support/oscar.py; required, so that nothing is written into the
checkout); the database is in WAL mode (readers, the
tests among them, never wait for the writer) with ``BEGIN IMMEDIATE``
transactions and a 30 s busy timeout (Django's advice for SQLite under
concurrent writes: a transaction that reads before it writes waits for the
write lock instead of failing with "database is locked"). Requests are not
wrapped in a transaction unless
``OSCAR_SITE_ATOMIC_REQUESTS=1`` (Django's default; the sandbox sets
ATOMIC_REQUESTS): oscar's ``OrderCreator.place_order`` has its own
``transaction.atomic`` block. With ATOMIC_REQUESTS and ``BEGIN IMMEDIATE``
every request holds the database's one write lock from its start, so the
shop serves one request at a time: the tests use that as the shop where no
two checkouts can interleave.
"""

import os
import warnings

from oscar.defaults import *  # noqa: F403  (oscar's OSCAR_* defaults, as the sandbox does)

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = "peakready-tests-oscar-site-not-a-secret-0123456789abcdefghijklmnop"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["OSCAR_SITE_DB"],
        "ATOMIC_REQUESTS": os.environ.get("OSCAR_SITE_ATOMIC_REQUESTS") == "1",
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

USE_TZ = True
TIME_ZONE = "Europe/London"
LANGUAGE_CODE = "en-gb"
USE_I18N = True
SITE_ID = 1

MEDIA_ROOT = ""  # no product images; MissingProductImage then symlinks nothing
MEDIA_URL = "/media/"
STATIC_URL = "/static/"

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "oscar.apps.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "oscar.apps.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "oscar.apps.search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    "haystack",
    "treebeard",
    "django_tables2",
    "rest_framework",  # django-oscar-api: the JSON API under /api/
    "oscarapi",
    "tests.support.oscar_site.apps.OscarSiteConfig",  # the seed_shop command
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    "django.middleware.common.CommonMiddleware",
    # oscar's BasketMiddleware, extended by django-oscar-api so that the
    # basket of a session is the same for the HTML pages and the API
    "oscarapi.middleware.ApiBasketMiddleWare",
]
ROOT_URLCONF = "tests.support.oscar_site.urls"
WSGI_APPLICATION = "tests.support.oscar_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.request",
                "django.template.context_processors.debug",
                "django.template.context_processors.i18n",
                "django.template.context_processors.media",
                "django.template.context_processors.static",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.core.context_processors.metadata",
            ],
        },
    }
]

AUTHENTICATION_BACKENDS = (
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
)

from django.contrib.messages import constants as messages  # noqa: E402

MESSAGE_TAGS = {messages.ERROR: "danger"}  # as the sandbox: Bootstrap's alert-danger

# The sandbox's search: Whoosh (pure Python, a folder of files). The index is
# built once with the template database (``update_index``) and copied with it;
# nothing updates it at run time, since products do not change while a test runs.
HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
        "PATH": os.environ["OSCAR_SITE_INDEX"],
    }
}
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"
# Whoosh cannot count the price-range facets; the listing works without them
warnings.filterwarnings("ignore", message="Whoosh does not handle query faceting")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR"},
        "oscar": {"handlers": ["stderr"], "level": "WARNING"},
    },
}

SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"

OSCAR_SHOP_NAME = "Oscar test shop"
OSCAR_DEFAULT_CURRENCY = "GBP"
OSCAR_ALLOW_ANON_CHECKOUT = True
OSCAR_THUMBNAILER = "tests.support.oscar_site.thumbnails.NoThumbnails"
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCARAPI_INITIAL_ORDER_STATUS = "Pending"  # as the HTML checkout (its default is "new")
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending": ("Being processed", "Cancelled"),
    "Being processed": ("Complete", "Cancelled"),
    "Cancelled": (),
    "Complete": (),
}
