"""Minimal settings: a PostgreSQL database through psycopg2, a Celery broker URL."""

import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = os.environ.get("ONELOVE_SECRET_KEY", "not-a-secret-only-for-the-sample")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "onelove.urls"
WSGI_APPLICATION = "onelove.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("ONELOVE_DB_NAME", "onelove"),
        "USER": os.environ.get("ONELOVE_DB_USER", "onelove"),
        "HOST": os.environ.get("ONELOVE_DB_HOST", "db"),
    }
}
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CELERY_BROKER_URL = os.environ.get("ONELOVE_BROKER_URL", "redis://redis:6379/0")
