"""Tests of the local backend: store."""
