"""One Love API skeleton: Django project with a Celery app."""

from .celery import app as celery_app

__all__ = ("celery_app",)
