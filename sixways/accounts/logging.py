"""Keep secrets in URLs out of the logs: participant link tokens, invitation tokens, password
reset keys and running workshops' join codes are replaced before any handler writes a line."""

import logging
import re

SECRET_IN_PATH = re.compile(
    r"(/p/|/w/|/accounts/invitation/|/accounts/password/reset/key/)[^/\s\"']+"
)


def redact(value):
    if isinstance(value, str):
        return SECRET_IN_PATH.sub(r"\1[hidden]", value)
    return value


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(arg) for key, arg in record.args.items()}
        return True
