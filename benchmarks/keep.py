"""The images kept past their sample for the analyze timings: the smallest and the largest image
of the run, and each sample's median-sized image, from which the one nearest the run's median
size is timed at the end. Every other image is removed when its sample ends (disk stays bounded:
one image per sample plus two)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class KeptImage:
    ref: str  # the image id
    tag: str  # its cold tag
    sample: str
    variant: str
    size: int


@dataclass
class Keeper:
    smallest: KeptImage | None = None
    largest: KeptImage | None = None
    medians: list[KeptImage] = field(default_factory=list)  # one per sample
    sizes: list[int] = field(default_factory=list)  # every cold image of the run

    def held(self) -> set[str]:
        """The refs (ids and tags) not to remove yet."""
        out: set[str] = set()
        for image in [self.smallest, self.largest, *self.medians]:
            if image is not None:
                out |= {image.ref, image.tag}
        return out

    def offer(self, images: list[KeptImage]) -> list[KeptImage]:
        """Take one sample's cold images; returns the images kept earlier that are no longer
        held (to remove now)."""
        if not images:
            return []
        before = self._all()
        self.sizes += [i.size for i in images]
        ordered = sorted(images, key=lambda i: (i.size, i.variant))
        self.medians.append(ordered[(len(ordered) - 1) // 2])
        if self.smallest is None or ordered[0].size < self.smallest.size:
            self.smallest = ordered[0]
        if self.largest is None or ordered[-1].size > self.largest.size:
            self.largest = ordered[-1]
        held = self.held()
        return [i for i in before if i.ref not in held]

    def _all(self) -> list[KeptImage]:
        return [i for i in [self.smallest, self.largest, *self.medians] if i is not None]

    def median(self) -> KeptImage | None:
        """The kept image whose size is nearest the median size of every image of the run."""
        if not self.medians:
            return None
        target = statistics.median(self.sizes)
        return min(self.medians, key=lambda i: (abs(i.size - target), i.size))

    def three(self) -> list[tuple[str, KeptImage]]:
        """(which, image) for the smallest, the median and the largest, each image once."""
        out: list[tuple[str, KeptImage]] = []
        for which, image in (
            ("smallest", self.smallest),
            ("median", self.median()),
            ("largest", self.largest),
        ):
            if image is not None and all(image.ref != seen.ref for _, seen in out):
                out.append((which, image))
        return out

    def refs(self) -> list[str]:
        """Every ref still held, to remove when the timings are done."""
        return sorted(self.held())
