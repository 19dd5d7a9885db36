"""Benchmarks: run them as scripts, e.g. `.venv/bin/python bench/inbox.py --help`."""
