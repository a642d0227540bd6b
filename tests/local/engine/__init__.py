"""Tests of the local backend: engine."""
