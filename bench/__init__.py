"""Benchmarks: `hvlab bench` prints their figures."""
