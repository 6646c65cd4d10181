"""The channel layer: Redis pub/sub, decoding a group message once per process.

Redis delivers a group message to each web process once, and the layer hands the same bytes to
every local socket of the group; each socket then decoded them again. With a thousand sockets on
one event page that was a thousand decodes of one message. Here the decoded message is shared by
the sockets that got the same bytes: consumers must treat messages as read-only (they do).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer

_MEMO_SIZE = 64


class SharedDecodeLayer(RedisPubSubChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decoded: OrderedDict[int, tuple[bytes, Any]] = OrderedDict()

    def deserialize(self, message: bytes) -> Any:
        key = id(message)
        hit = self._decoded.get(key)
        if hit is not None and hit[0] is message:  # the very same bytes object, not a reused id
            return hit[1]
        decoded = super().deserialize(message)
        self._decoded[key] = (message, decoded)
        if len(self._decoded) > _MEMO_SIZE:
            self._decoded.popitem(last=False)
        return decoded
