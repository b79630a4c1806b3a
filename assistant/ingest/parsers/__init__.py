"""One module per export format; each registers its parser with `assistant.ingest.registry.register`."""
