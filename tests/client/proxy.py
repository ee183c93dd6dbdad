"""A tiny TCP proxy for tests: it cuts its first N connections part-way, then forwards faithfully.

``cut="request"`` resets a connection after receiving ``cut_after`` bytes of the request (an upload
dropped mid-way); ``cut="response"`` forwards the request and resets after relaying ``cut_after`` bytes
of the answer (a download dropped mid-way). ``corrupt_zip=True`` alters the first zip signature in every
answer, as a broken cache or middlebox would.
"""

import contextlib
import socket
import struct
import threading


def _reset(sock: socket.socket) -> None:
    # SO_LINGER 0: close with a reset, as a crashed load balancer or a cut network would. shutdown()
    # first, because close() alone does not wake (or release) a recv() blocked on it in another thread.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class DroppingProxy:
    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        drop_first: int = 1,
        cut_after: int = 1024,
        cut: str = "request",
        corrupt_zip: bool = False,
    ):
        assert cut in ("request", "response")
        self.target = (target_host, target_port)
        self.drop_first, self.cut_after, self.cut = drop_first, cut_after, cut
        self.corrupt_zip = corrupt_zip
        self.connections = 0
        self.dropped = 0
        self.response_bytes: list[int] = []  # bytes relayed back on each forwarded connection, in order
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._workers: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "DroppingProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() so the thread ends now
        self.listener.close()
        self._thread.join(timeout=5)
        for worker in self._workers:  # so the counters are final when the caller reads them
            worker.join(timeout=5)

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            cutting = self.connections <= self.drop_first
            if cutting and self.cut == "request":
                target, args = self._drop_request, (client,)
            else:
                target, args = self._forward, (client, self.cut_after if cutting else None)
            worker = threading.Thread(target=target, args=args, daemon=True)
            self._workers.append(worker)
            worker.start()

    def _drop_request(self, client: socket.socket) -> None:
        received = 0
        client.settimeout(5)
        try:
            while received < self.cut_after:
                chunk = client.recv(self.cut_after - received)
                if not chunk:
                    break
                received += len(chunk)
        except OSError:
            pass
        _reset(client)
        self.dropped += 1

    def _forward(self, client: socket.socket, cut_response_after: int | None) -> None:
        upstream = socket.create_connection(self.target)

        def pipe(source: socket.socket, sink: socket.socket, limit: int | None, log: list | None) -> None:
            relayed, corrupt = 0, self.corrupt_zip and log is not None
            try:
                while chunk := source.recv(65536):
                    if corrupt and b"PK\x03\x04" in chunk:
                        chunk, corrupt = chunk.replace(b"PK\x03\x04", b"PK\x03\x05", 1), False
                    if limit is not None and relayed + len(chunk) >= limit:
                        sink.sendall(chunk[: limit - relayed])
                        _reset(sink)
                        self.dropped += 1
                        return
                    sink.sendall(chunk)
                    relayed += len(chunk)
            except OSError:
                pass
            finally:
                if log is not None:
                    log.append(relayed)
                for sock in (source, sink):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

        backwards = threading.Thread(
            target=pipe, args=(upstream, client, cut_response_after, self.response_bytes), daemon=True
        )
        backwards.start()
        pipe(client, upstream, None, None)
        backwards.join(timeout=10)
        client.close()
        upstream.close()
