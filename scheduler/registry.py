"""The job registry. A job is a few lines calling one core function, registered with `@job`:

    @job("optimize", schedule="schedule_optimize", per_company=True)
    def optimize(session, actor):
        return optimizer.run(session, actor)

`schedule` names the Settings field holding the job's crontab line (UTC), so timetables are
settings. A per-company job is called once per company, each in its own transaction with its
own job_runs row, as the scheduler acting for that company; another job is called once with a
session. A job returns None, a mapping of counts, or a result with `counts()` (and `errors`,
a list that marks the run partial when not empty).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JobFunction = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    run: JobFunction
    schedule: str
    per_company: bool = False


JOBS: dict[str, Job] = {}


def job(name: str, *, schedule: str, per_company: bool = False) -> Callable[[JobFunction], JobFunction]:
    def register(function: JobFunction) -> JobFunction:
        if name in JOBS:
            raise ValueError(f"two jobs are named {name!r}")
        JOBS[name] = Job(name, function, schedule, per_company)
        return function

    return register
