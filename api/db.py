"""The app's store: opened at start-up or, when its graph server is out of reach then, as soon as it can be
reached; how long a request waits on it; and how a store call keeps off the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Literal
from urllib.parse import urlparse

from starlette.concurrency import run_in_threadpool

from ..exceptions import StoreError, StoreUnavailable
from ..store import Store, open_store
from .errors import error

if TYPE_CHECKING:
    from .settings import Settings

__all__ = ["Link", "Deadline", "off_loop", "out_of_reach", "where", "RETRY_AFTER"]

log = logging.getLogger("orggraph.api")

#: seconds a 503 tells the caller to wait before trying again (``Retry-After``)
RETRY_AFTER = 5
#: seconds between two attempts to open a store that could not be reached
_RETRY = 1.0


def out_of_reach(exc: BaseException) -> bool:
    """Whether a store failed to open because its server is out of reach (down, restarting, frozen, or the
    network between), which may pass, rather than because of a mistake in the settings (credentials
    refused, a database that does not exist, a file that is no store), which will not.

    :class:`~orggraph.exceptions.StoreUnavailable` is out of reach; so is a
    :class:`~orggraph.exceptions.StoreError` caused by a connection that failed or timed out.

    Examples
    --------
    >>> out_of_reach(StoreUnavailable("down"))
    True
    >>> out_of_reach(StoreError("refused the credentials"))
    False
    >>> try:
    ...     try:
    ...         raise ConnectionRefusedError(111, "Connection refused")
    ...     except OSError as cause:
    ...         raise StoreError("cannot reach it") from cause
    ... except StoreError as exc:
    ...     out_of_reach(exc)
    True
    """
    if isinstance(exc, StoreUnavailable):
        return True
    if not isinstance(exc, StoreError):
        return False
    cause = exc.__cause__
    while cause is not None:  # the causes named by `raise ... from`, never a context left out with `from None`
        if _lost(cause):
            return True
        cause = cause.__cause__
    return False


def _lost(exc: BaseException) -> bool:
    """A client's error that says the server did not answer, as against one that says no."""
    try:
        import redis.exceptions as redis
    except ImportError:  # pragma: no cover  (the server extra is not installed)
        redis = None
    if redis is not None:
        if isinstance(exc, redis.AuthenticationError):  # a ConnectionError to redis, a refusal to us
            return False
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
            return True
    try:
        import neo4j.exceptions as neo4j
    except ImportError:  # pragma: no cover
        neo4j = None
    if neo4j is not None and isinstance(exc, (neo4j.ServiceUnavailable, neo4j.SessionExpired, neo4j.TransientError)):
        return True
    return isinstance(exc, (OSError, TimeoutError))


def where(settings: Settings) -> str:
    """The store the settings name, without a user or password: ``bolt://host:port`` or the file.

    Examples
    --------
    >>> from orggraph.api.settings import Settings
    >>> where(Settings(server="falkordb://app:secret@10.0.0.5:6379/city"))
    'falkordb://10.0.0.5:6379'
    >>> where(Settings(db="city.db", server=None))
    'the store file city.db'
    """
    if not settings.server:
        return f"the store file {settings.db}"
    url = urlparse(settings.server)
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.hostname or ''}{port}"


def _in_thread(fn: Callable[[], Any]) -> asyncio.Future:
    """``fn()`` in a daemon thread of its own, as a future of the running loop: a call to a server that may
    never answer, which neither holds a thread of the pool nor keeps the process from ending."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result: Any, exc: BaseException | None) -> None:
        if future.done():
            return
        future.set_exception(exc) if exc is not None else future.set_result(result)

    def run() -> None:
        result, error = None, None
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001  (handed to whoever awaits it)
            error = exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop has ended meanwhile: nobody waits for this any more
            if hasattr(result, "close"):
                result.close()

    threading.Thread(target=run, daemon=True, name="orggraph-store").start()
    return future


def _seen(future: asyncio.Future) -> None:
    """Mark a future's exception as retrieved (whoever awaited it may have stopped waiting)."""
    if not future.cancelled():
        future.exception()


async def off_loop(store: Store, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` where it cannot hold up the event loop.

    At once for the embedded store, which answers from its own file in a fraction of a millisecond (a hop
    to the thread pool costs about one); in the thread pool for a store on a graph server, which may be
    slow to answer or not answer at all, while the loop goes on serving the other requests.
    """
    if store.local:
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


class Link:
    """How the app reaches its store.

    The store is opened at start-up (:meth:`start`). A graph server out of reach then does not stop the
    API: it logs one line and the store is opened on a later request, at most one attempt at a time and
    one a second, meanwhile every request that needs the store answers 503 (:meth:`store`). ``/health``
    asks whether the store answers without waiting longer than it says (:meth:`probe`).

    Parameters
    ----------
    state : starlette.datastructures.State
        The app's state: ``state.store`` is the store, None until it is opened.
    settings : Settings
        Where the store is, and how long a write waits for another.
    """

    def __init__(self, state: Any, settings: Settings):
        self.state, self.settings = state, settings
        self.closed = False
        self._opening: asyncio.Future | None = None
        self._failed_at = -_RETRY
        self._probing: asyncio.Future | None = None
        self._reported = False

    # -- opening ------------------------------------------------------------------------------------

    def _open(self) -> Store:
        s = self.settings
        return open_store(s.db, server=s.server, user=s.user, password=s.password, database=s.database,
                          wait=s.write_wait)

    def _begin(self) -> asyncio.Future:
        """The attempt under way to open the store, or a new one."""
        if self._opening is None:
            self._opening = _in_thread(self._open)
            self._opening.add_done_callback(self._opened)
        return self._opening

    def _opened(self, future: asyncio.Future) -> None:
        self._opening = None
        if future.cancelled():
            return
        if future.exception() is not None:
            self._failed_at = time.monotonic()
            return
        store = future.result()
        if self.closed:  # the app stopped while it opened
            store.close()
            return
        self.state.store = store
        if self._reported:
            log.info("%s can be reached now; the API answers from it", where(self.settings))

    async def start(self) -> None:
        """Open the store at start-up, waiting at most the settings' deadline for it.

        Raises
        ------
        StoreError
            In one line, when the store cannot be opened for a reason that will not pass by itself
            (:func:`out_of_reach`): credentials refused, a database that does not exist, a file that
            is no store.
        """
        try:
            await asyncio.wait_for(asyncio.shield(self._begin()), self.settings.store_deadline)
            return
        except asyncio.TimeoutError:
            reason = f"no answer within {self.settings.store_deadline:g} s"
        except Exception as exc:
            if not out_of_reach(exc):
                raise StoreError(" ".join(str(exc).split())) from None
            reason = type(exc.__cause__ or exc).__name__
        self._reported = True
        # one line: where the server is (no user, no password), and why in a word; nothing personal
        log.warning("%s cannot be reached at start-up (%s); the API answers 503 with Retry-After until it can",
                    where(self.settings), reason)

    async def store(self) -> Store:
        """The store, opened now if it was not: :class:`~orggraph.exceptions.StoreUnavailable` while it
        cannot be reached."""
        store = self.state.store
        if store is not None:
            return store
        if self._opening is None and time.monotonic() - self._failed_at < _RETRY:
            raise self._unreached()
        try:
            return await asyncio.shield(self._begin())
        except Exception as exc:
            if out_of_reach(exc):
                raise self._unreached() from None
            raise

    def _unreached(self) -> StoreUnavailable:
        return StoreUnavailable(f"{where(self.settings)}, not opened yet")

    def close(self) -> None:
        """Stop: a store opened from now on is closed at once."""
        self.closed = True

    # -- /health --------------------------------------------------------------------------------------

    async def probe(self, seconds: float) -> Literal["ok", "unavailable", "unknown"]:
        """Whether the store answers, found within ``seconds`` whatever it does: ``ok``, ``unavailable``
        (it cannot be reached) or ``unknown`` (it has not answered in time).

        One small read (the revision), in a thread of its own, one at a time: a probe that has not come
        back is waited for again, never joined by another, so a server that does not answer holds one
        thread, however often it is asked.
        """
        try:
            if self.state.store is None:
                await asyncio.wait_for(self.store(), seconds)
                return "ok"
            if self._probing is None:
                store = self.state.store
                self._probing = _in_thread(lambda: store.revision)
                self._probing.add_done_callback(self._probed)
            await asyncio.wait_for(asyncio.shield(self._probing), seconds)
            return "ok"
        except asyncio.TimeoutError:
            return "unknown"
        except StoreUnavailable:
            return "unavailable"

    def _probed(self, future: asyncio.Future) -> None:
        self._probing = None
        _seen(future)


class Deadline:
    """A request that has not begun its answer within ``seconds`` answers 503 with ``Retry-After``, in the
    one error shape, and is let go: a store that does not answer (a frozen server) never leaves a request
    hanging.

    The request's work is cancelled; a store call already running in a thread goes on there until the
    store answers, and what it works out for the caches (a token's scope, the whole network's coverage
    and gaps) is kept, so the request asked again may find it. A plain ASGI middleware, as
    :class:`~orggraph.api.main.BodyLimit` is.
    """

    def __init__(self, app: Any, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = closed = False

        async def sending(message: dict) -> None:
            nonlocal started
            if closed:  # answered already: what the request's work sends after is dropped
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        work = asyncio.ensure_future(self.app(scope, receive, sending))
        try:
            done, _ = await asyncio.wait({work}, timeout=self.seconds)
        except asyncio.CancelledError:
            work.cancel()
            raise
        if done or started:
            return await work
        closed = True
        work.cancel()
        work.add_done_callback(_seen)
        log.warning("%s %s answered 503: the store did not answer within %g s", scope.get("method"),
                    scope.get("path"), self.seconds)
        message = (f"the store did not answer within {self.seconds:g} s; try again shortly"
                   + ("" if scope.get("method") in ("GET", "HEAD", "OPTIONS") else
                      "; a change sent may still be made, so read it back before sending it again"))
        await error(503, message, headers={"Retry-After": str(RETRY_AFTER)})(scope, receive, send)
