"""A tiny WSGI app that reports the libpq it was built against; served by uwsgi."""

import psycopg2
import psycopg2.extensions


def describe() -> str:
    return f"psycopg2 {psycopg2.__version__} libpq {psycopg2.extensions.libpq_version()}"


def application(environ, start_response):
    body = (describe() + "\n").encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


if __name__ == "__main__":
    print(describe())
