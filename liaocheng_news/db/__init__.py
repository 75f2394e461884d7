"""The archive: PostgreSQL (embedded by default), its migrations and its queries."""
