"""`pytest --notebook-test`: test Jupyter notebooks in the pytest process, without a kernel.

The pytest plugin is `ipytest.notebook_test.plugin` (registered as `notebook_test`); it
stays inert unless `--notebook-test` or the ini option `notebook_test_enabled` turns it on.
Notebooks are read by `ipytest._notebook` and their cells planned by `ipytest._plan` (tags
and `# notebook-test:` directives), as for `python -m ipytest`. Here `settings` parses the
option values and notebook metadata, `engines` runs the planned cells (with `source`,
`deadline` and `libraries`), and `plugin` is the pytest-facing part: none but `plugin`
imports pytest.
"""


class NotebookTestWarning(UserWarning):
    """A notebook cell was left out of the run (e.g. a `%%bash` cell with the python engine)."""
