"""Oscar's URLs at the root (the sandbox puts them under a language prefix,
/en-gb/), Django's i18n/ (the page footer's language form posts there, as in
the sandbox), django-oscar-api's JSON API under /api/, and /healthz for the harness."""

from django.apps import apps
from django.http import HttpResponse
from django.urls import include, path


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("oscarapi.urls")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
