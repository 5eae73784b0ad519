"""The REST sidecar (FastAPI): the same core services as the pages, for integrations and scripts."""
