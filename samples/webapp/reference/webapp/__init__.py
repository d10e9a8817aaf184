"""A small notes site: Flask views over an in-memory catalogue, URLs made by the slugs extension."""

from flask import Flask

from webapp.catalogue import Catalogue

app = Flask(__name__)
catalogue = Catalogue.seeded()

from webapp import views  # noqa: E402,F401  (registers the routes on app)
