"""`pytest --notebook-test`: test Jupyter notebooks in the pytest process, without a kernel.

The pytest plugin is `ipytest.notebook_test.plugin` (registered as `notebook_test`); it
stays inert unless `--notebook-test` or the ini option `notebook_test_enabled` turns it on.
`directives` parses the `# notebook-test:` comments into a per-cell plan, `settings` the
option values and notebook metadata, `codegen` turns the plan into Python source and
`runner` executes it: none of them imports pytest.
"""


class NotebookTestWarning(UserWarning):
    """A notebook cell was left out of the run (e.g. a `%%bash` cell with the python engine)."""
