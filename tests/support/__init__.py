"""What the tests and benchmarks share and the package does not ship.

pytest puts tests/ on sys.path (its default "prepend" import mode, tests/ having no
__init__.py), so tests import `support.<module>`; bench scripts add tests/ themselves."""
