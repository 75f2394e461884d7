"""Operator commands of ``liaocheng-news``, one module per command group."""
