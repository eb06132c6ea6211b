"""The memory's HTTP face: JSON API, search page and uploads (FastAPI)."""
