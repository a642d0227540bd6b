"""Routers of the local backend, one module per API area (registered in ``app.ROUTERS``, their
paths indexed in ``area_paths.py``)."""
