"""`python -m rest`: run the REST proxy with uvicorn until SIGTERM or SIGINT."""

import uvicorn

from rest.app import create_app
from rest.settings import RestSettings
from rest.std_logging import route_to_loguru
from server import logs

# Shorter than Kubernetes' default terminationGracePeriodSeconds (30 s).
SHUTDOWN_GRACE_SECONDS = 20


def main() -> None:
    """Read the settings, configure logging and serve."""
    settings = RestSettings()
    logs.configure(settings.log_level, settings.log_json)
    route_to_loguru(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.rest_host,
        port=settings.rest_port,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )


if __name__ == "__main__":
    main()
