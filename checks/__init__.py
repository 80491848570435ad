"""The checks: one module per check, its id is its path.

``checks/email/spf.py`` is ``email.spf``: a check's module holds its user
documentation (the docstring), one ``run(ctx)`` and ``CHECK = Check(...)``.
Modules whose name starts with ``_`` are the area's private helpers. The
explicit registry is ``peakready.checks.registry.ALL``; this package itself
imports nothing, so a command that needs one area (``peakready email``)
loads only that area's checks.
"""
