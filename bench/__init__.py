"""Benchmarks: `.venv/bin/python bench/pages.py` (start-up, memory, page latency under load)."""
