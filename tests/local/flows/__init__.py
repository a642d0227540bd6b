"""Tests of the local backend: flows."""
