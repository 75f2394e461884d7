"""Operator tools: commands that maintain the archive, each with ``add_parser(subparsers)`` and ``run(args)``."""
