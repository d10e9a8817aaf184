"""Rendering a plan into files: the squashed Dockerfile, build.sh, and the helpers they need."""
