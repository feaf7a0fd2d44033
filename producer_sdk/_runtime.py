"""The module-level runtime behind `import producer_sdk as ln`: the process's client,
`ln.context`, the run lifecycle, and the default host of records.

The top layer of the SDK: it imports the sync face (`client.Client`, on first use) and the
records, never the other way round. Records that no async client bound ask this module
(through `records.set_default_host`, installed at import), which asks the current client.

Runs this process started are finished exactly once: `completed` when the next global
run starts or the process exits, `failed` (with the error) when an exception ends the
process or a `with ln.Run(...)` block.
"""

from __future__ import annotations

import atexit
import logging
import signal
import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from producer_sdk import records
from producer_sdk.errors import error_text
from producer_sdk.records import DObject, FinalStatus, Relation, Run, Transform

if TYPE_CHECKING:
    from producer_sdk.client import Client

log = logging.getLogger("producer_sdk")

_client: Client | None = None
_client_lock = threading.Lock()
_fatal: BaseException | None = None
_hooks_installed = False


class Context:
    """`ln.context`: what the SDK is tracking right now."""

    def __init__(self) -> None:
        self._global_run: Run | None = None
        self._stack: list[Run] = []  # runs of enclosing `with` blocks

    @property
    def run(self) -> Run | None:
        """The current run: the innermost `with ln.Run(...)` block's, else the global run."""
        return self._stack[-1] if self._stack else self._global_run

    def __repr__(self) -> str:
        return f"Context(run={self.run!r})"


context = Context()


def client() -> Client:
    """The process's client, created on first use from Settings (LINEAGE_* / `lineage up`)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                from lineage_core.settings import Settings
                from producer_sdk.client import Client

                _client = Client(Settings())
                _install_hooks()
    return _client


def use_client(new: Client | None) -> Client | None:
    """Replace the process's client (tests, benchmarks); returns the previous one."""
    global _client
    previous, _client = _client, new
    if new is not None:
        _install_hooks()
    return previous


def add(record: object) -> None:
    client().add(record, context.run)


class _DefaultHost:
    """What unbound records ask (`records.RecordHost`): the current client, `ln.context`."""

    @property
    def api_url(self) -> str:
        return client().api_url

    def related(self, record: Run | DObject, relation: Relation) -> list[Any]:
        return client().related(record, relation)

    def transform_runs(self, transform: Transform) -> list[Run]:
        return client().transform_runs(transform)

    def existing_dobject(self, content_hash: str) -> DObject | None:
        return client().existing_dobject(content_hash)

    def load_input(self, dobject: DObject, run: Run | None) -> None:
        client().load_input(dobject, run or context.run)

    def finish_run(self, run: Run, status: FinalStatus, error: str | None) -> None:
        client().finish_run(run, status, error)

    def enter_run(self, run: Run) -> None:
        enter_run(run)

    def exit_run(self, run: Run, exc: BaseException | None) -> None:
        exit_run(run, exc)


_default_host = _DefaultHost()
records.set_default_host(lambda: _default_host)


def set_global_run(run: Run) -> None:
    """Make `run` the global run, finishing the previous one as completed."""
    previous = context._global_run
    if previous is not None and previous is not run:
        client().finish_run(previous, "completed")
    context._global_run = run


def enter_run(run: Run) -> None:
    client().start_run(run)
    context._stack.append(run)


def exit_run(run: Run, exc: BaseException | None) -> None:
    if context._stack and context._stack[-1] is run:
        context._stack.pop()
    if exc is None:
        client().finish_run(run, "completed")
    else:
        client().finish_run(run, "failed", error_text(exc))
    if context._global_run is run:
        context._global_run = None


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_at_exit)
    previous_hook = sys.excepthook

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        global _fatal
        _fatal = exc
        previous_hook(kind, exc, tb)

    sys.excepthook = excepthook
    _finish_on_sigterm()


class Terminated(SystemExit):
    """The process got SIGTERM: its runs end as failed, with this as their error."""

    def __str__(self) -> str:
        return "the process got SIGTERM"


def _finish_on_sigterm() -> None:
    """Turn SIGTERM into an exit that runs the at-exit hook (the default action kills the
    process on the spot, and its runs would stay STARTED for ever). Only where nobody
    else handles SIGTERM, and only from the main thread (where signals can be set)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_sigterm(_signum: int, _frame: object) -> None:
        global _fatal
        _fatal = Terminated(128 + signal.SIGTERM)
        raise _fatal

    signal.signal(signal.SIGTERM, on_sigterm)


def _at_exit() -> None:
    """Finish every run this process started, then flush the outbox (best effort)."""
    current = _client
    if current is None:
        return
    try:
        current.finish_active(_fatal)
        left = current.close()
    except Exception as exc:  # noqa: BLE001 - never turn a clean exit into a traceback
        print(f"lineage: could not finish runs at exit: {exc!r}", file=sys.stderr)
        return
    if left:
        print(
            f"lineage: {left} events wait in the outbox under {current.outbox_dir} until NATS "
            "is reachable; `lineage outbox flush` sends them",
            file=sys.stderr,
        )
