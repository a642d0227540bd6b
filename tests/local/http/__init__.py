"""Tests of the local backend: http."""
