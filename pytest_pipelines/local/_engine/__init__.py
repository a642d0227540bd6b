"""The local backend's engine: jobs, the task runner, criteria, tool sets and scoring, models,
human work, datasets' evaluation, background jobs.

Imports the store; never the HTTP surface or the demo.
"""
