"""A service that hangs: a listener on 127.0.0.1 that accepts connections and never answers.

``release(port)`` turns it into the real service: the held connections are dropped (as a restarted
server drops them) and every new one is relayed to ``127.0.0.1:port``, so a test can watch a client
recover on the same address it was hung on.
"""

import contextlib
import socket
import threading


class HungService:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._target: int | None = None
        self._closed = False
        threading.Thread(target=self._accept, name=f"hung-{self.port}", daemon=True).start()

    @property
    def accepted(self) -> int:
        """How many connections it took (and, while hung, never answered)."""
        with self._lock:
            return len(self._held)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                self._held.append(client)
                target = self._target
            if target is not None:
                threading.Thread(target=self._relay, args=(client, target), daemon=True).start()

    def _relay(self, client: socket.socket, target: int) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", target), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for end in (source, sink):
                    with contextlib.suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)

        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)

    def release(self, port: int) -> None:
        """From now on relay to the real service on ``port``; connections held so far are dropped."""
        with self._lock:
            held, self._held = self._held, []
            self._target = port
        for sock in held:
            sock.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        self._listener.close()
        with self._lock:
            held, self._held = self._held, []
        for sock in held:
            sock.close()
