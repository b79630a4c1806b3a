"""Exports -> corpus: parsers (one per format) behind a registry, and the runner that stores them."""
