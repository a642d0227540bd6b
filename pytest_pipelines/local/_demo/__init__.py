"""The demo of ``pipelines-local serve --demo``: its seed data and deterministic models.

Seeds through the engine and the store; nothing of the engine or the HTTP surface imports it.
"""
