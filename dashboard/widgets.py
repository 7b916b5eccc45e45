"""Widgets and helpers shared by the tabs: the client, error messages, confirmations, labels."""

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from dashboard.client import ApiError, Client, ServiceDown, env_settings
from dashboard.resources import ServiceStatus

T = TypeVar("T")

ERROR_ICON = ":material/error:"
DOWN_ICON = ":material/cloud_off:"
STATE_MARKS = {
    "READY": ":green[:material/check_circle: READY]",
    "FAILED": ":red[:material/cancel: FAILED]",
    "TRAINING": ":blue[:material/hourglass_top: TRAINING]",
    "QUEUED": ":gray[:material/schedule: QUEUED]",
    "OK": ":green[:material/check_circle: OK]",
    "DEGRADED": ":orange[:material/warning: DEGRADED]",
    "DOWN": ":red[:material/cancel: DOWN]",
}
ENUM_PREFIXES = ("MODEL_STATE_", "COMPONENT_STATE_", "TASK_", "DATA_FORMAT_", "VALUE_TYPE_")


@st.cache_resource(show_spinner=False)
def _cached_client(base_url: str, token: str) -> Client:
    return Client(base_url, token)


def get_client() -> Client:
    """The REST client for the current MLSERVICE_REST_URL and MLSERVICE_API_TOKEN."""
    return _cached_client(*env_settings())


def enum_label(name: str) -> str:
    """An enum name without its prefix: "MODEL_STATE_READY" → "READY"."""
    for prefix in ENUM_PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def state_badge(name: str) -> str:
    """A state as coloured Markdown with an icon, e.g. ":green[:material/check_circle: READY]"."""
    label = enum_label(name)
    return STATE_MARKS.get(label, label)


def input_error(message: str) -> None:
    """Show a problem with what the user entered (nothing was sent to the service)."""
    st.error(message, icon=ERROR_ICON)


def show_error(exc: ApiError | ServiceDown) -> None:
    """Show an API error (message and field violations) or an unreachable service."""
    if isinstance(exc, ServiceDown):
        st.error(f"**The service is unreachable.** {exc}", icon=DOWN_ICON)
        return
    lines = [f"**{exc.message}** (HTTP {exc.status})"]
    lines += [f"- `{v.field}`: {v.description}" for v in exc.violations]
    st.error("\n".join(lines), icon=ERROR_ICON)


def attempt(call: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run an API call; on ApiError or ServiceDown show the error and return None."""
    try:
        return call(*args, **kwargs)
    except (ApiError, ServiceDown) as exc:
        show_error(exc)
        return None


def succeeded(call: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Run an API action; on ApiError or ServiceDown show the error and return False."""
    try:
        call(*args, **kwargs)
    except (ApiError, ServiceDown) as exc:
        show_error(exc)
        return False
    return True


def flash(key: str, message: str, failed: bool = False) -> None:
    """Keep a message to show once after the next rerun (see `show_flash`)."""
    st.session_state[f"flash-{key}"] = (message, failed)


def show_flash(key: str) -> None:
    """Show, once, the message kept under `key`: a success, or an error when it failed."""
    message, failed = st.session_state.pop(f"flash-{key}", ("", False))
    if message and failed:
        st.error(message, icon=":material/cancel:")
    elif message:
        st.success(message, icon=":material/check_circle:")


def service_banner(client: Client) -> ServiceStatus | None:
    """Probe GET /v1/status; when the service is down show one banner and return None."""
    try:
        return client.status()
    except ServiceDown as exc:
        st.error(
            "**The mlservice service is unreachable.** Start it with `make run`, or point "
            f"`MLSERVICE_REST_URL` at its REST API. ({exc})",
            icon=DOWN_ICON,
        )
    except ApiError as exc:
        st.error(
            f"**The service is unavailable:** {exc.message} (HTTP {exc.status})", icon=DOWN_ICON
        )
    return None


def confirm_button(label: str, key: str, what: str) -> bool:
    """A delete button that only works after ticking a confirmation checkbox (per `key`)."""
    sure = st.checkbox(f"Yes, delete {what}", key=f"{key}-confirm")
    return st.button(label, key=key, type="primary", disabled=not sure)


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse a JSON object from an editor; ValueError says what is wrong and where."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise ValueError('expected a JSON object such as {"C": 0.5}')
    return value


def json_text(value: Any) -> str:
    """Pretty JSON for an editor."""
    return json.dumps(value, indent=2, sort_keys=True)


def clearml_enabled() -> bool:
    """Whether CLEARML_WEB_HOST names the ClearML web UI to link to."""
    return bool(os.environ.get("CLEARML_WEB_HOST"))


def clearml_url(kind: str, object_id: str) -> str | None:
    """A link to a ClearML task ("experiments") or model in the web UI, when configured."""
    host = os.environ.get("CLEARML_WEB_HOST", "").rstrip("/")
    if not host or not object_id:
        return None
    return f"{host}/projects/*/{kind}/{object_id}"


def human_size(size: int) -> str:
    """Bytes in a human unit, e.g. "4.4 KiB"."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def human_duration(seconds: float) -> str:
    """Seconds as "2d 3h 4m 5s", dropping leading zero units."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m")]
    shown = [f"{n}{unit}" for n, unit in parts if n] + [f"{secs}s"]
    return " ".join(shown)
