"""The sync SDK's process state: the default client, `ln.context`, and run lifecycle.

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
from typing import TYPE_CHECKING

from producer_sdk.errors import error_text

if TYPE_CHECKING:
    from producer_sdk.client import Client
    from producer_sdk.dobject import DObject
    from producer_sdk.schema import Run

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


def load_input(dobject: DObject, run: Run | None) -> None:
    client().load_input(dobject, run or context.run)


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
        for run in reversed(list(current.ledger.active_runs.values())):
            if _fatal is not None:
                current.finish_run(run, "failed", error_text(_fatal))
            else:
                current.finish_run(run, "completed")
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
