"""The django-tasks task that runs an import job (inline, or in a ``db_worker`` process)."""

from django_tasks import task


@task()
def run_import_job(job_id: int) -> None:
    """Run one import job; the job's row records the outcome (the task returns nothing)."""
    from alliance.jobs.services import import_job_run

    import_job_run(job_id)
