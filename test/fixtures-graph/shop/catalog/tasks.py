import fakeheavy.tasks  # noqa: F401  (a Celery worker imports tasks; setup does not)
