"""Measuring what a rewrite saves: build both images on the engine and compare them."""
