"""Tests of the local backend: demo."""
