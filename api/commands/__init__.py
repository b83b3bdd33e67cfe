"""Sub-commands of ``bukti``: one module each, exposing ``register(subparsers)``.

A command module adds its parser with ``help``, ``description`` and an ``epilog``
holding an example, and sets ``handler=<callable(args) -> int exit status>``.
"""
