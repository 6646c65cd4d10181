"""An open-loop HTTP/1.1 load generator at a fixed arrival rate (the wrk2 method)."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

RequestFactory = Callable[[int], bytes]


def request(
    method: str,
    path: str,
    *,
    host: str,
    body: object | None = None,
    accept: str = "application/json",
) -> RequestFactory:
    """A factory for a fixed request (the index is ignored): prebuilt bytes, no per-call cost."""
    data = http_request(method, path, host=host, body=body, accept=accept)
    return lambda _i: data


def http_request(
    method: str,
    path: str,
    *,
    host: str,
    body: object | None = None,
    headers: dict[str, str] | None = None,
    accept: str = "application/json",
) -> bytes:
    """One raw HTTP/1.1 keep-alive request; ``body`` is sent as JSON."""
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Accept: {accept}"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    payload = b""
    if body is not None:
        payload = json.dumps(body).encode()
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


@dataclass
class Result:
    offered_rps: float
    duration_s: float
    scheduled: int
    ok: int
    errors: int
    achieved_rps: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    client_cpu: float  # the generator's own CPU use, in cores, while the step ran
    statuses: dict[str, int] = field(default_factory=dict)

    def held(self, *, min_ratio: float = 0.95, max_p99_ms: float = 100.0) -> bool:
        return self.achieved_rps >= min_ratio * self.offered_rps and self.p99_ms <= max_p99_ms

    def summary(self) -> str:
        return (
            f"offered {self.offered_rps:g}/s achieved {self.achieved_rps:.1f}/s "
            f"p50 {self.p50_ms:.1f} p99 {self.p99_ms:.1f} p99.9 {self.p999_ms:.1f} "
            f"max {self.max_ms:.1f} ms, {self.errors} errors {self.statuses}, "
            f"client cpu {self.client_cpu:.2f}"
        )


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(q * len(sorted_values))))
    return sorted_values[rank - 1]


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
) -> tuple[int, bool]:
    """Send one request and read its response; (status, whether the connection stays open)."""
    writer.write(data)
    await writer.drain()
    lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, keep = None, False, True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            keep = value != b"close"
    if chunked:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # no trailers expected
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        keep = False
    return status, keep


async def _run(
    port: int,
    rate: float,
    duration: float,
    make_request: RequestFactory,
    connections: int,
    timeout: float,
    ok_statuses: tuple[int, ...],
) -> Result:
    loop = asyncio.get_running_loop()
    count = max(1, round(rate * duration))
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    last_ok = 0.0

    async def connection() -> None:
        nonlocal last_ok
        stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while (item := await queue.get()) is not None:
            index, scheduled = item
            if loop.time() - scheduled >= timeout:  # too late to be worth sending
                statuses["late"] += 1
                latencies.append(loop.time() - scheduled)
                continue
            try:
                async with asyncio.timeout_at(scheduled + timeout):
                    if stream is None:
                        stream = await asyncio.open_connection("127.0.0.1", port)
                    status, keep = await _exchange(*stream, make_request(index))
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                statuses["timeout" if isinstance(exc, TimeoutError) else "error"] += 1
                latencies.append(loop.time() - scheduled)
                keep = False
            else:
                done = loop.time()
                latencies.append(done - scheduled)
                statuses[str(status)] += 1
                if status in ok_statuses:
                    last_ok = done
            if not keep and stream is not None:
                stream[1].close()
                stream = None
        if stream is not None:
            stream[1].close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    cpu0 = time.process_time()
    start = loop.time() + 0.01
    for index in range(count):
        scheduled = start + index / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((index, scheduled))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = max(count / rate, last_ok - start)
    cpu = (time.process_time() - cpu0) / max(loop.time() - start, 1e-9)
    latencies.sort()
    ok = sum(n for code, n in statuses.items() if code.isdigit() and int(code) in ok_statuses)
    ms = [v * 1000 for v in latencies]
    return Result(
        offered_rps=rate,
        duration_s=round(count / rate, 3),
        scheduled=count,
        ok=ok,
        errors=count - ok,
        achieved_rps=round(ok / elapsed, 1),
        p50_ms=round(percentile(ms, 0.50), 2),
        p99_ms=round(percentile(ms, 0.99), 2),
        p999_ms=round(percentile(ms, 0.999), 2),
        max_ms=round(ms[-1] if ms else 0.0, 2),
        client_cpu=round(cpu, 2),
        statuses=dict(sorted(statuses.items())),
    )


def run(
    port: int,
    *,
    rate: float,
    duration: float,
    make_request: RequestFactory,
    connections: int = 16,
    timeout: float = 2.0,
    ok_statuses: tuple[int, ...] = (200,),
) -> Result:
    """Offer ``rate`` requests per second for ``duration`` seconds to 127.0.0.1:``port``.

    Request ``i`` is scheduled at ``start + i / rate`` whatever the server does; a bounded pool
    of keep-alive connections sends them in order, and each latency runs from the *scheduled*
    time, so time spent waiting for a free connection (the server being slow) is counted: no
    coordinated omission. A request not answered within ``timeout`` of its scheduled time is an
    error (and one already that late when a connection frees up is not sent).
    """
    return asyncio.run(_run(port, rate, duration, make_request, connections, timeout, ok_statuses))
