"""`python -m server`: run the gRPC server until SIGTERM or SIGINT."""

import asyncio
import signal

from loguru import logger

from server import logs
from server.app import build
from server.settings import Settings

# Shorter than Kubernetes' default terminationGracePeriodSeconds (30 s).
SHUTDOWN_GRACE_SECONDS = 20.0


async def serve(settings: Settings) -> None:
    """Start the server and stop it gracefully on a termination signal."""
    app = build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    await stop.wait()
    await app.stop(SHUTDOWN_GRACE_SECONDS)


def main() -> None:
    """Read the settings, configure logging and serve."""
    settings = Settings().resolved()
    logs.configure(settings.log_level, settings.log_json)
    logger.info("starting mlservice with data dir {}", settings.data_dir)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
