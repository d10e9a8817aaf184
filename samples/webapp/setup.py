"""The app's own C extension: fast slugs and short content hashes for URLs."""

from setuptools import Extension, setup

setup(
    name="slugs",
    version="1.0.0",
    ext_modules=[Extension("slugs", ["ext/slugs.c"])],
)
