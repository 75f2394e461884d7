"""Spiders: one per portal (named as the portal), on the shared base in spiders.base."""
