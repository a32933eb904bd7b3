"""Marketplace adapters: one small interface (`base`), one registry (`registry`), one typed error.

The package itself imports nothing, so that an adapter importing `base` never runs the registry.
"""
