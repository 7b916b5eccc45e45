"""Standard-library logging (uvicorn, Connexion) routed into loguru.

Every line then has one format, and is JSON when `MLSERVICE_LOG_JSON=1`.
"""

import logging
import traceback

from loguru import logger

QUIET_LIBRARIES = ("connexion",)


class LoguruHandler(logging.Handler):
    """Hands each standard-library record to loguru with its level and exception."""

    def emit(self, record: logging.LogRecord) -> None:
        """Log the record through loguru."""
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        text = record.getMessage()
        if record.exc_info:
            # Plain traceback text: loguru's own rendering may show local values (headers).
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        logger.log(level, "{}: {}", record.name, text)


def route_to_loguru(level: str) -> None:
    """Send every standard-library logger to loguru; Connexion only from WARNING up."""
    logging.basicConfig(handlers=[LoguruHandler()], level=level.upper(), force=True)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
