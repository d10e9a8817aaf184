"""The Celery application, configured from Django's settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onelove.settings")

app = Celery("onelove")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task
def provision(service: str) -> str:
    return f"provisioned {service}"
