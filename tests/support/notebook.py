"""A small notebook that tracks itself with the SDK (executed by nbconvert in the tests)."""

from __future__ import annotations

from typing import Any


def cell(kind: str, source: str) -> dict[str, Any]:
    base = {"cell_type": kind, "metadata": {}, "source": source}
    return base | ({"outputs": [], "execution_count": None} if kind == "code" else {})


NOTEBOOK = {
    "cells": [
        cell("markdown", "# Iris analysis\n\nClean the iris table."),
        cell(
            "code",
            "# version: 2\nimport producer_sdk as ln\nrun = ln.Run()\n"
            "assert run.notebook is not None",
        ),
        cell(
            "code",
            "from pathlib import Path\n"
            "Path('iris_new.csv').write_text('sepal,petal\\n5.1,1.4\\n')\n"
            "ln.add(ln.DObject('iris_new.csv'))\n"
            "print(ln.context.run.id)",
        ),
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}
