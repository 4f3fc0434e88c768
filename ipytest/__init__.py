"""Run pytest in Jupyter notebooks.

```python
import ipytest
ipytest.autoconfig()
```

then write tests in a cell that starts with `%%ipytest`.
"""

from ._config import autoconfig, config
from ._impl import Error, clean, force_reload, reload, run

__all__ = ["Error", "autoconfig", "clean", "config", "force_reload", "reload", "run"]
__version__ = "0.1.0"

# The exit code of the last run: None before the first one.
exit_code: int | None = None
