"""Keep ClearML SDK calls bounded in time and turn connection failures into `Unavailable`.

Once logged in, the SDK retries a request whose connection fails without end. So every call
first pings the API server (2 s), then runs in a daemon thread that the caller stops waiting
for at a deadline. A call abandoned that way finishes (or keeps retrying) in the background.
"""

import queue
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TypeVar

from server.errors import Unavailable

T = TypeVar("T")
PING_TIMEOUT_S = 2.0
API_TIMEOUT_S = 20.0
TRANSFER_TIMEOUT_S = 300.0


def api_host() -> str:
    """The API server the SDK talks to (`CLEARML_API_HOST`, else the config file's)."""
    from clearml.backend_api import Session

    return str(Session.get_api_server_host())


def ping(host: str, timeout: float = PING_TIMEOUT_S) -> None:
    """Raise `Unavailable` unless the API server answers `/debug.ping` within `timeout`."""
    if not host:
        raise Unavailable("ClearML API server not configured (CLEARML_API_HOST)")
    try:
        with urllib.request.urlopen(f"{host.rstrip('/')}/debug.ping", timeout=timeout):
            return
    except urllib.error.HTTPError:
        return  # it answered; authentication problems surface on the real call
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise Unavailable(f"ClearML server {host} unreachable: {reason}") from error


def check_clearml(host: str = "") -> tuple[str, str]:
    """("OK" | "DOWN", message) for the status: does the API server answer, within seconds.

    Without `host`, the SDK's (which imports it: pass the host to keep the check light).
    """
    host = host or api_host()
    try:
        ping(host)
    except Unavailable as error:
        return "DOWN", error.message
    return "OK", f"API server {host} reachable"


def is_connection_failure(error: BaseException) -> bool:
    """Whether the SDK failed because ClearML (or its storage) could not be reached."""
    import requests
    import urllib3
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    failures: tuple[type[BaseException], ...] = (
        ConnectionError,
        TimeoutError,
        requests.exceptions.ConnectionError,
        requests.exceptions.Timeout,
        urllib3.exceptions.HTTPError,
        BotoConnectionError,
        HTTPClientError,
    )
    session = sys.modules.get("clearml.backend_api.session.session")  # loaded by any SDK call
    if session is not None:
        failures += (session.LoginError,)
    return isinstance(error, failures)


def bounded(call: Callable[[], T], what: str, timeout: float = API_TIMEOUT_S) -> T:
    """Run `call` with a deadline; connection failures and timeouts raise `Unavailable`."""
    results: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            results.put((True, call()))
        except BaseException as error:
            results.put((False, error))

    threading.Thread(target=run, daemon=True, name=f"clearml: {what}").start()
    try:
        ok, value = results.get(timeout=timeout)
    except queue.Empty:
        raise Unavailable(f"ClearML did not answer within {timeout:g} s ({what})") from None
    if ok:
        return value  # type: ignore[return-value]
    assert isinstance(value, BaseException)
    if is_connection_failure(value):
        raise Unavailable(f"ClearML unreachable ({what}): {value}") from value
    raise value


def guarded(call: Callable[[], T], what: str, timeout: float = API_TIMEOUT_S) -> T:
    """`bounded`, after a ping of the API server so an outage fails in seconds."""
    ping(api_host())
    return bounded(call, what, timeout)
