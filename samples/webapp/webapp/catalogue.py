"""The notes the site shows, keyed by the slug of their title."""

from __future__ import annotations

from dataclasses import dataclass

import slugs


@dataclass(frozen=True)
class Note:
    title: str
    body: str
    tags: tuple[str, ...]

    @property
    def slug(self) -> str:
        return slugs.slugify(self.title)

    @property
    def etag(self) -> str:
        return slugs.digest(self.title + "\n" + self.body)


class Catalogue:
    def __init__(self, notes: list[Note]) -> None:
        self._by_slug = {note.slug: note for note in notes}

    @classmethod
    def seeded(cls) -> Catalogue:
        return cls(
            [
                Note("Hello, World!", "The first note.", ("intro",)),
                Note("Layers add files", "A layer can only add files.", ("docker", "images")),
                Note("Squash by script", "Install, build and purge in one RUN.", ("docker",)),
            ]
        )

    def all(self) -> list[Note]:
        return sorted(self._by_slug.values(), key=lambda note: note.slug)

    def get(self, slug: str) -> Note | None:
        return self._by_slug.get(slug)

    def tagged(self, tag: str) -> list[Note]:
        return [note for note in self.all() if tag in note.tags]
