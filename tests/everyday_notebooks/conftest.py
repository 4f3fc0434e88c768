"""The notebooks of this folder are fixtures of test_everyday_notebooks.py, not nbval tests.

One of them fails on purpose, and some are meant to differ between front ends: the test
runs each through a kernel and every front end and compares where they stop. nbval, which
the suite runs on the notebooks under tests/, leaves them alone.
"""

collect_ignore_glob = ["*.ipynb"]
