"""Where the tests find the package and the `nabla` program: the build tree the package was imported
from (build/python/nabla → build/tools/nabla), or NABLA_CLI."""

import os
import shutil

import pytest


def cli_path():
    import nabla
    explicit = os.environ.get("NABLA_CLI")
    if explicit:
        return explicit
    beside = os.path.normpath(os.path.join(os.path.dirname(nabla.__file__), "..", "..", "tools", "nabla"))
    if os.path.exists(beside):
        return beside
    return shutil.which("nabla")


@pytest.fixture(scope="session")
def cli():
    path = cli_path()
    if path is None or not os.path.exists(path):
        pytest.fail("the nabla program was not found: build it (target nabla_cli) or set NABLA_CLI")
    return path
