"""The local backend's store: the SQLite record database and who exists in a new one.

Imports nothing else of the local backend.
"""
