"""The local backend's engine: jobs, the task runner, the LLM field
function shared by runs and generations, criteria, tool sets and scoring, models,
human work, dataset evaluation, background jobs.

Imports the store; never the HTTP surface or the demo.
"""
