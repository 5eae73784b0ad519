"""The scheduler process: `python -m scheduler` runs the jobs of scheduler/jobs.py on their timetables.

Only one scheduler acts at a time (core.jobs.lock); every run is a row of job_runs.
"""
