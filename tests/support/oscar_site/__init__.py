"""A small django-oscar site for the tests, after oscar's sandbox:
oscar's own apps, django-oscar-api under /api/, SQLite, Whoosh search (no
search server), guest checkout, no payment step. ``prepare.py`` builds the
database and index once (migrations, ``management/commands/seed_shop.py``,
``update_index``), ``serve.py`` serves it with waitress;
tests/support/oscar.py drives both. Django finds ``seed_shop`` because this
package is an installed app (settings.INSTALLED_APPS ends with it)."""
