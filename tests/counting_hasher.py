"""A password hasher that counts its work (and takes a little time, as a real one does).

Installed by the tests that prove a refused login costs no hashing; it reads and writes the fast
test hashes (``md5$...``) that the suite's accounts have.
"""

from __future__ import annotations

import threading
import time

from django.contrib.auth.hashers import MD5PasswordHasher
from django.utils.crypto import constant_time_compare

_lock = threading.Lock()
_calls = [0]
# Long enough that concurrent requests overlap while one is hashing, as they do in production.
COST_S = 0.05


def hashed() -> int:
    with _lock:
        return _calls[0]


def _count() -> None:
    with _lock:
        _calls[0] += 1
    time.sleep(COST_S)


class CountingHasher(MD5PasswordHasher):
    algorithm = "md5"

    def encode(self, password, salt):
        _count()
        return super().encode(password, salt)

    def verify(self, password, encoded):
        _count()  # once: the parent's verify would count again through encode
        salt = self.decode(encoded)["salt"]
        return constant_time_compare(encoded, super().encode(password, salt))
