"""`import producer_sdk` stays light: nothing of the server side, nothing heavy until used."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import producer_sdk, producer_sdk.schema
loaded = {m.split('.')[0] for m in sys.modules}
print(' '.join(sorted(loaded & {'sqlalchemy', 'strawberry', 'uvicorn', 'asyncpg', 'faststream',
                              'pydantic', 'nats', 'httpx', 'graphql_api', 'projector'})))
"""


def test_import_loads_no_server_side_and_no_heavy_dependency() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_aio_imports_nothing_of_the_server_side() -> None:
    probe = PROBE.replace(
        "import producer_sdk, producer_sdk.schema", "import producer_sdk.aio"
    ).replace("'pydantic', 'nats', 'httpx', ", "")
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_typed_package() -> None:
    from pathlib import Path

    import producer_sdk

    assert (Path(producer_sdk.__path__[0]) / "py.typed").exists()
