"""A thumbnailer that makes none: the product pages link the original image
(the shop has none, so the "missing image" URL). Oscar's default needs
sorl-thumbnail and an image library at request time."""

from types import SimpleNamespace

from django.conf import settings
from oscar.core.thumbnails import AbstractThumbnailer


class NoThumbnails(AbstractThumbnailer):
    def generate_thumbnail(self, source, **opts):
        return SimpleNamespace(url=settings.MEDIA_URL + str(getattr(source, "name", source)))

    def delete_thumbnails(self, source):
        pass
