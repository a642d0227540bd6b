"""Routers of the local backend, one module per API area (registered in ``_app.ROUTERS``)."""
