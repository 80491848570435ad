"""``python -m tests.support.oscar_site.prepare``: build the shop's database
and search index into ``OSCAR_SITE_DB`` and ``OSCAR_SITE_INDEX``, in one
process: oscar's migrations, ``seed_shop``, haystack's ``update_index``.
tests/support/oscar.py runs it once per cache key and copies the result for
every shop it starts."""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.oscar_site.settings")
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_shop", verbosity=0)
    call_command("update_index", verbosity=0)
    with connection.cursor() as cursor:  # fold the WAL into the file: a plain copy is whole
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


if __name__ == "__main__":
    main()
