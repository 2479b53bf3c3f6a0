"""The daily retention purge as a django-tasks task (run inline or by a ``db_worker``).

Scheduled once a day by the deployment (cron or a systemd timer calling
``manage.py purge_expired``, or ``manage.py purge_expired --enqueue`` to hand it to the
workers): docs/operations.md. The task returns the counts only.
"""

from django_tasks import task


@task()
def purge_expired() -> dict[str, int]:
    from alliance.privacy.purge import purge_run

    return purge_run().counts
