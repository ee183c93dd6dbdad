"""A tiny TCP proxy for tests that drops its first N connections mid-request, then forwards faithfully."""

import contextlib
import socket
import struct
import threading


class DroppingProxy:
    """Listens on 127.0.0.1; the first ``drop_first`` connections are reset after ``drop_after`` bytes."""

    def __init__(self, target_host: str, target_port: int, *, drop_first: int = 1, drop_after: int = 1024):
        self.target = (target_host, target_port)
        self.drop_first, self.drop_after = drop_first, drop_after
        self.connections = 0
        self.dropped = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

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

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            if self.connections <= self.drop_first:
                threading.Thread(target=self._drop, args=(client,), daemon=True).start()
            else:
                threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _drop(self, client: socket.socket) -> None:
        received = 0
        client.settimeout(5)
        try:
            while received < self.drop_after:
                chunk = client.recv(self.drop_after - received)
                if not chunk:
                    break
                received += len(chunk)
        except OSError:
            pass
        # SO_LINGER 0: close with a reset, as a crashed load balancer or a cut network would.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        self.dropped += 1

    def _forward(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)

        def pipe(source: socket.socket, sink: socket.socket) -> None:
            try:
                while chunk := source.recv(65536):
                    sink.sendall(chunk)
            except OSError:
                pass
            finally:
                for sock in (source, sink):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

        backwards = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
        backwards.start()
        pipe(client, upstream)
        backwards.join(timeout=10)
        client.close()
        upstream.close()
