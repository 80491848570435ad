from django.apps import AppConfig


class OscarSiteConfig(AppConfig):
    name = "tests.support.oscar_site"
    label = "peakready_oscar_site"
    default_auto_field = "django.db.models.BigAutoField"
