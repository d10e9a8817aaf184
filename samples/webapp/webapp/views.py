"""The site's pages: the index, one note, the notes of a tag, and a health check."""

from __future__ import annotations

from flask import abort, jsonify, render_template

from webapp import app, catalogue


@app.get("/")
def index() -> str:
    return render_template("index.html", notes=catalogue.all())


@app.get("/notes/<slug>")
def note(slug: str) -> str:
    found = catalogue.get(slug)
    if found is None:
        abort(404)
    return render_template("note.html", note=found)


@app.get("/tags/<tag>")
def tag(tag: str) -> str:
    return render_template("tag.html", tag=tag, notes=catalogue.tagged(tag))


@app.get("/health")
def health():  # type: ignore[no-untyped-def]
    return jsonify(status="ok", notes=len(catalogue.all()))
