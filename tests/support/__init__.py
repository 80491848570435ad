"""Helpers for the tests, imported by them (never through conftest.py, which
holds only fixtures): ``paths`` (the repository root), ``scenarios`` (the demo
scenario, shortened), ``cli`` (``peakready`` as a subprocess), ``cases`` (the
one loader of tests/cases/*.yaml), ``nsd`` (a real NSD on loopback),
``servers`` (loopback HTTP(S) servers and a scratch CA), ``golden`` (the
golden report) and ``handout_cases`` (run in processes of their own by
tests/test_handout.py)."""
