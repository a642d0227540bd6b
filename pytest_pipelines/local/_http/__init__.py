"""The local backend's HTTP surface: app factory, error responses, request dependencies, routers.

Imports the engine and the store; nothing below imports it.
"""
