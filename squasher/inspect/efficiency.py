"""dive's efficiency score and wasted bytes, computed exactly the way dive (0.13) computes them.

dive's model (``dive/filetree/efficiency.go``, ``file_tree.go``, ``file_node.go``), restated:

- Each layer is a tree of its tar's entries. A whiteout ``.wh.NAME`` is a node of its own whose path
  is the hidden path; the opaque marker ``.wh..wh..opq`` is never added (dive ignores opaque
  directories; the directories on the way to it are still created).
- Every *leaf* of every layer tree (a node without children in that layer: files, links, empty
  directories, whiteouts) is one sighting of its path. A directory that has children in a layer
  is not a sighting.
- A sighting's size is the tar header size (content bytes for regular files, 0 for directories,
  symlinks and hard links). A whiteout's size is looked up in the stack of the layers below
  (``StackTreeRange(trees, 0, i-1)``, which ignores opaque directories): when that node is a
  directory, the sum of the header sizes of it and everything below it; when it is anything else,
  0 (a removed file is charged only through its own earlier sighting). When the hidden path is not
  in that stack, dive stops visiting the rest of that layer, leaving that path with a minimum of
  -1 bytes (which lowers the score a little: reproduced as is).
- Per path: ``cumulative`` = sum of the sizes of its sightings, ``minimum`` = the smallest.
  efficiency = sum(minimum) / sum(cumulative) over all paths (1.0 when there are no bytes).
- Inefficient paths are those sighted in two or more layers; wasted bytes = the sum of their
  ``cumulative`` sizes (the smallest copy included).
- user wasted ratio = wasted bytes / the summed size of every layer but the first.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from squasher.inspect.layers import OPAQUE_MARKER, WHITEOUT_PREFIX, Layer


@dataclass(frozen=True)
class WastedPath:
    """A path seen in two or more layers (dive's "inefficient file")."""

    path: str
    count: int  # how many layers hold it (dive's "Count")
    cumulative_size: int  # bytes across those layers (dive's "Wasted Space")
    min_size: int


@dataclass(frozen=True)
class Efficiency:
    """dive's figures for an image."""

    efficiency: float  # dive's "efficiency"
    wasted_bytes: int  # dive's "wastedBytes"
    user_wasted_ratio: float  # dive's "userWastedPercent" / 100 (a ratio, 0..1+)
    size: int  # all layers' header sizes (dive's "image size")
    user_size: int  # all but the first layer
    wasted: list[WastedPath]  # largest first, then by path


class _Node:
    """A node of dive's file tree: its header size, whether the header said directory, children."""

    __slots__ = ("children", "is_dir", "name", "parent", "size")

    def __init__(self, name: str, parent: _Node | None) -> None:
        self.name = name
        self.parent = parent
        self.size = 0
        self.is_dir = False
        self.children: dict[str, _Node] = {}

    def is_whiteout(self) -> bool:
        return self.name.startswith(WHITEOUT_PREFIX)

    def copy(self, parent: _Node | None = None) -> _Node:
        twin = _Node(self.name, parent)
        twin.size, twin.is_dir = self.size, self.is_dir
        twin.children = {k: v.copy(twin) for k, v in self.children.items()}
        return twin


class _Tree:
    def __init__(self, root: _Node | None = None) -> None:
        self.root = root if root is not None else _Node("", None)

    def add_path(self, path: str, size: int, is_dir: bool) -> None:
        """dive's FileTree.AddPath: create missing nodes payload-less, set the payload on the last."""
        names = [n for n in path.strip("/").split("/") if n]
        node = self.root
        for i, name in enumerate(names):
            child = _child(node, name)
            if child is None:
                return
            node = child
            if i == len(names) - 1:
                node.size, node.is_dir = size, is_dir

    def get(self, path: str) -> _Node | None:
        node = self.root
        for name in path.strip("/").split("/"):
            if not name:
                continue
            child = node.children.get(name)
            if child is None:
                return None
            node = child
        return node

    def remove(self, path: str) -> None:
        node = self.get(path)
        if node is not None and node.parent is not None:
            del node.parent.children[node.name]

    def stack(self, upper: _Tree) -> None:
        """dive's FileTree.Stack: lay ``upper`` on this tree (whiteouts remove, the rest add).

        dive visits ``upper`` children first, siblings by name, and adds or removes each node's
        path from the root; the same visit is made here with the matching node of this tree in
        hand, which is what those walks from the root arrive at."""
        _merge(self.root, upper.root)

    def copy(self) -> _Tree:
        return _Tree(self.root.copy())


def _merge(target: _Node, upper: _Node) -> None:
    """Lay the children of ``upper`` on ``target`` (the node at the same path), in dive's order."""
    for key in sorted(upper.children):
        node = upper.children[key]
        if node.children:  # what dive adds below this path comes first
            child = _child(target, key)
            if child is None:
                continue  # dive's AddPath makes no such node, nor anything below it
            _merge(child, node)
        if node.is_whiteout():
            hidden = key[len(WHITEOUT_PREFIX) :]
            if hidden in target.children:
                del target.children[hidden]
            continue
        child = _child(target, key)
        if child is None:
            continue
        child.size, child.is_dir = node.size, node.is_dir


def _child(parent: _Node, name: str) -> _Node | None:
    """The child ``name`` of ``parent``, made payload-less when missing (dive's AddPath); None for
    a name AddPath never makes, a whiteout of a whiteout."""
    child = parent.children.get(name)
    if child is None:
        if name.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
            return None
        child = _Node(name, parent)
        parent.children[name] = child
    return child


def _leaves(node: _Node, prefix: str) -> Iterator[tuple[_Node, str]]:
    """The leaves below ``node`` (whose path is ``prefix``) in dive's order, with their paths."""
    for key in sorted(node.children):
        child = node.children[key]
        if child.children:
            yield from _leaves(child, f"{prefix}/{key}")
        else:
            shown = key[len(WHITEOUT_PREFIX) :] if key.startswith(WHITEOUT_PREFIX) else key
            path = f"{prefix}/{shown}"
            yield child, path.replace("//", "/") if "//" in path else path


def _subtree_size(node: _Node) -> int:
    total = 0
    stack = [node]
    while stack:
        current = stack.pop()
        total += current.size
        stack.extend(current.children.values())
    return total


def layer_tree(layer: Layer) -> _Tree:
    """The tree dive builds from one layer tar."""
    tree = _Tree()
    nodes: dict[str, _Node | None] = {"": tree.root}  # path -> node (None: AddPath makes none)

    def node_at(path: str) -> _Node | None:
        """The node at ``path``, made payload-less with its parents when missing (AddPath)."""
        if path in nodes:
            return nodes[path]
        parent_path, _, name = path.rpartition("/")
        parent = node_at(parent_path)
        node = None
        if parent is not None:
            node = parent.children.get(name)
            if node is None and not name.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
                node = _Node(name, parent)
                parent.children[name] = node
        nodes[path] = node
        return node

    def add(path: str, size: int, is_dir: bool) -> None:
        if "//" in path or not path.startswith("/") or path.endswith("/"):
            path = "/" + "/".join(n for n in path.split("/") if n)
        if path == "/":
            return
        node = node_at(path)
        if node is not None:
            node.size, node.is_dir = size, is_dir

    for entry in layer.entries:
        add(entry.path, entry.tar_size, entry.kind == "dir")
    for path in layer.whiteouts:
        parent, _, base = path.rpartition("/")
        add(f"{parent}/{WHITEOUT_PREFIX}{base}", 0, False)
    for directory in layer.opaque_dirs:
        add(f"{directory}/{OPAQUE_MARKER}", 0, False)  # makes the dirs, not the marker
    return tree


def efficiency(layers: Sequence[Layer]) -> Efficiency:
    """dive's efficiency, wasted bytes and user wasted ratio for ``layers`` (image order)."""
    cumulative: dict[str, int] = {}
    minimum: dict[str, int] = {}
    count: dict[str, int] = {}
    stacked: _Tree | None = None  # dive's StackTreeRange(trees, 0, i - 1), built incrementally
    previous: _Tree | None = None
    for index, layer in enumerate(layers):
        tree = layer_tree(layer)
        if index == 0:
            stacked = tree.copy()
        else:
            assert stacked is not None and previous is not None
            stacked.stack(previous)
        for node, path in _leaves(tree.root, ""):
            if node.is_whiteout():
                assert stacked is not None
                hidden = stacked.get(path)
                if hidden is None:
                    # dive's visitor has already made the path's record (minimum -1, no bytes),
                    # then errors out: the rest of this layer is never visited
                    cumulative.setdefault(path, 0)
                    minimum.setdefault(path, -1)
                    count.setdefault(path, 0)
                    break
                size = _subtree_size(hidden) if hidden.is_dir else 0
            else:
                size = node.size
            cumulative[path] = cumulative.get(path, 0) + size
            low = minimum.get(path, -1)
            minimum[path] = size if low < 0 or size < low else low
            count[path] = count.get(path, 0) + 1
        previous = tree

    total_min = sum(minimum.values())
    total = sum(cumulative.values())
    score = 1.0 if total == 0 else total_min / total
    wasted = sorted(
        (
            WastedPath(path=p, count=n, cumulative_size=cumulative[p], min_size=minimum[p])
            for p, n in count.items()
            if n >= 2
        ),
        key=lambda w: (-w.cumulative_size, w.path),
    )
    wasted_bytes = sum(w.cumulative_size for w in wasted)
    size = sum(layer.size for layer in layers)
    user_size = sum(layer.size for layer in layers[1:])
    if user_size:
        ratio = wasted_bytes / user_size
    else:
        ratio = 0.0 if wasted_bytes == 0 else math.inf  # dive: NaN (passes) or +Inf (fails)
    return Efficiency(
        efficiency=score,
        wasted_bytes=wasted_bytes,
        user_wasted_ratio=ratio,
        size=size,
        user_size=user_size,
        wasted=wasted,
    )
