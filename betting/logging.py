"""Structured logs: one JSON object per line, with any ``extra=`` fields kept."""

from __future__ import annotations

import datetime as dt
import json
import logging

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RoutineAtDebug(logging.Filter):
    """Lines logged at INFO once per message handled (Celery's "Task ... received" and
    "... succeeded", beat's "Sending due task") are routine: they become DEBUG lines, shown only
    when ``LOG_LEVEL=DEBUG`` (``show``). A busy platform handles thousands of events a minute;
    at INFO they buried everything else, ``make run``'s banner first. Warnings and errors of
    the same loggers (a task that failed or was retried too often) pass as they are."""

    def __init__(self, show: bool = False) -> None:
        super().__init__()
        self.show = show

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return self.show
