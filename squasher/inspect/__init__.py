"""Reading images from the engine: layers, the merged filesystem, dive's figures, reclaimable bytes.

- ``layers``: stream ``docker save`` with bounded memory into per-layer entry lists and the
  final (merged) filesystem.
- ``efficiency``: dive's efficiency score and wasted bytes, computed the way dive computes them.
- ``reclaimable``: bytes that sit in the final filesystem but serve no purpose at run time.
- ``analysis``: the ``squasher analyze`` report that puts the three together.
"""
