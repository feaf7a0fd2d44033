"""The module-level runtime behind `import producer_sdk as ln`: the process's client,
`ln.context`, the run lifecycle, and the default host of records.

The top layer of the SDK: it imports the sync face (`client.Client`, on first use) and the
records, never the other way round. Records that no async client bound ask this runtime
(installed with `host.set_default_host` at import), which asks the current client.

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

from producer_sdk import host
from producer_sdk.errors import error_text
from producer_sdk.host import FinalStatus, Relation, WatchOptions
from producer_sdk.records import DObject, Run, Transform

if TYPE_CHECKING:
    from collections.abc import Iterator

    from producer_sdk.client import Client
    from producer_sdk.records import LineageChange

log = logging.getLogger("producer_sdk")


class Context:
    """`ln.context`: what the SDK is tracking right now."""

    def __init__(self) -> None:
        self._global_run: Run | None = None
        self._stack: list[Run] = []  # runs of enclosing `with` blocks

    @property
    def run(self) -> Run | None:
        """The current run: the innermost `with ln.Run(...)` block's, else the global run."""
        return self._stack[-1] if self._stack else self._global_run

    @property
    def global_run(self) -> Run | None:
        """The run of `ln.Run(..., global_context=True)`, until the next one replaces it."""
        return self._global_run

    def set_global(self, run: Run | None) -> None:
        self._global_run = run

    def push(self, run: Run) -> None:
        """Entering `with run:`."""
        self._stack.append(run)

    def pop(self, run: Run) -> None:
        """Leaving `with run:`; the global run ends with its block if it was this one."""
        if self._stack and self._stack[-1] is run:
            self._stack.pop()
        if self._global_run is run:
            self._global_run = None

    def reset(self) -> None:
        """No current run (tests)."""
        self._global_run, self._stack = None, []

    def __repr__(self) -> str:
        return f"Context(run={self.run!r})"


class Terminated(SystemExit):
    """The process got SIGTERM: its runs end as failed, with this as their error."""

    def __str__(self) -> str:
        return "the process got SIGTERM"


class Runtime:
    """The process's state: its client, `ln.context`, and the exit hooks.

    Also the default host of records (`host.RecordHost`): it answers with the
    current client and `ln.context`.
    """

    def __init__(self) -> None:
        self.context = Context()
        self._client: Client | None = None
        self._client_lock = threading.Lock()
        self._fatal: BaseException | None = None  # what ended the process, for its runs
        self._hooks_installed = False

    # -- the client -----------------------------------------------------------------------

    def client(self) -> Client:
        """The process's client, created on first use from Settings (LINEAGE_* / `lineage up`)."""
        current = self._client
        if current is None:
            with self._client_lock:
                if self._client is None:
                    from lineage_core.settings import Settings
                    from producer_sdk.client import Client

                    self._client = Client(Settings())
                    self._install_hooks()
                current = self._client
        return current

    def use_client(self, new: Client | None) -> Client | None:
        """Replace the process's client (tests, benchmarks); returns the previous one."""
        previous, self._client = self._client, new
        if new is not None:
            self._install_hooks()
        return previous

    # -- run lifecycle --------------------------------------------------------------------

    def set_global_run(self, run: Run) -> None:
        """Make `run` the global run, finishing the previous one as completed."""
        previous = self.context.global_run
        if previous is not None and previous is not run:
            self.client().finish_run(previous, "completed")
        self.context.set_global(run)

    def enter_run(self, run: Run) -> None:
        self.client().start_run(run)
        self.context.push(run)

    def exit_run(self, run: Run, exc: BaseException | None) -> None:
        self.context.pop(run)
        if exc is None:
            self.client().finish_run(run, "completed")
        else:
            self.client().finish_run(run, "failed", error_text(exc))

    # -- host.RecordHost -----------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.client().api_url

    def related(self, record: Run | DObject, relation: Relation) -> list[Any]:
        return self.client().related(record, relation)

    def transform_runs(self, transform: Transform) -> list[Run]:
        return self.client().transform_runs(transform)

    def existing_dobject(self, content_hash: str) -> DObject | None:
        return self.client().existing_dobject(content_hash)

    def load_input(self, dobject: DObject, run: Run | None) -> None:
        self.client().load_input(dobject, run or self.context.run)

    def finish_run(self, run: Run, status: FinalStatus, error: str | None) -> None:
        self.client().finish_run(run, status, error)

    def watch(self, record: Run | DObject, options: WatchOptions) -> Iterator[LineageChange]:
        return self.client().watch(record, options)

    # -- process exit ---------------------------------------------------------------------

    def _install_hooks(self) -> None:
        if self._hooks_installed:
            return
        self._hooks_installed = True
        atexit.register(self.at_exit)
        previous_hook = sys.excepthook

        def excepthook(
            kind: type[BaseException], exc: BaseException, tb: TracebackType | None
        ) -> None:
            self._fatal = exc
            previous_hook(kind, exc, tb)

        sys.excepthook = excepthook
        self._finish_on_sigterm()

    def _finish_on_sigterm(self) -> None:
        """Turn SIGTERM into an exit that runs the at-exit hook (the default action kills
        the process on the spot, and its runs would stay STARTED for ever). Only where
        nobody else handles SIGTERM, and only from the main thread (where signals can be
        set)."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return

        def on_sigterm(_signum: int, _frame: object) -> None:
            self._fatal = Terminated(128 + signal.SIGTERM)
            raise self._fatal

        signal.signal(signal.SIGTERM, on_sigterm)

    def at_exit(self) -> None:
        """Finish every run this process started, then flush the outbox (best effort)."""
        current = self._client
        if current is None:
            return
        try:
            current.finish_active(self._fatal)
            left = current.close()
        except Exception as exc:  # noqa: BLE001 - never turn a clean exit into a traceback
            _say(f"lineage: could not finish runs at exit: {exc!r}")
            return
        if left:
            _say(
                f"lineage: {left} events wait in the outbox under {current.outbox_dir} until "
                "NATS is reachable; `lineage outbox flush` sends them"
            )


def _say(message: str) -> None:
    """A line on stderr at exit, when logging may already be shut down."""
    print(message, file=sys.stderr)  # noqa: T201 - logging is torn down at interpreter exit


runtime = Runtime()
context = runtime.context
host.set_default_host(lambda: runtime)

# The runtime's operations under the names the rest of the SDK (and tests) call.
client = runtime.client
use_client = runtime.use_client
set_global_run = runtime.set_global_run
enter_run = runtime.enter_run
exit_run = runtime.exit_run


def add(record: object) -> None:
    """`ln.add(record)` with `ln.context.run` as the current run."""
    runtime.client().add(record, context.run)


def at_exit() -> None:
    runtime.at_exit()
