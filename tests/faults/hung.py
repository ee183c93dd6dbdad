"""A service that hangs: a listener on 127.0.0.1 that accepts connections and never answers.

``HungService.release(port)`` turns it into the real service: the held connections are dropped (as a
restarted server drops them) and every new one is relayed to ``127.0.0.1:port``, so a test can watch a
client recover on the same address it was hung on. It is a ``StallingProxy`` that starts stalled: a relay
to the real service that stops answering on command, connections already open included.
"""

import contextlib
import socket
import threading


class StallingProxy:
    """A TCP relay to ``127.0.0.1:port`` that can stall, as a hung server (or a hung proxy in front of it) does.

    It relays until ``stall()``; from then on it forwards nothing in either direction, yet still accepts
    connections and takes their bytes, so a client waits for an answer that never comes. ``resume()``
    relays connections made from then on; those that stalled are dropped, as a restarted server drops them.
    """

    def __init__(self, port: int | None) -> None:
        self._target = port
        self._accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._epoch = 0  # connections of an earlier epoch stalled and are dropped
        self._sockets: list[tuple[int, socket.socket]] = []
        self._forwarding = threading.Event()
        self._forwarding.set()
        threading.Thread(target=self._accept, name=f"stalling-{self.port}", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                epoch = self._epoch
                self._sockets.append((epoch, client))
                self._accepted += 1
            threading.Thread(target=self._relay, args=(client, epoch), daemon=True).start()

    def _relay(self, client: socket.socket, epoch: int) -> None:
        self._forwarding.wait()
        if epoch != self._epoch:
            return  # accepted while stalled: dropped by resume()
        try:
            upstream = socket.create_connection(("127.0.0.1", self._target), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._sockets.append((epoch, upstream))
        threading.Thread(target=self._pump, args=(upstream, client, epoch), daemon=True).start()
        self._pump(client, upstream, epoch)

    def _pump(self, source: socket.socket, sink: socket.socket, epoch: int) -> None:
        try:
            while data := source.recv(65536):
                self._forwarding.wait()  # stalled: hold the bytes, answer nothing
                if epoch != self._epoch:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    @property
    def accepted(self) -> int:
        """How many connections it took."""
        with self._lock:
            return self._accepted

    def stall(self) -> None:
        self._forwarding.clear()

    def resume(self) -> None:
        """Relay new connections again; the stalled ones are dropped."""
        with self._lock:
            self._epoch += 1
            stale = [sock for epoch, sock in self._sockets if epoch < self._epoch]
            self._sockets = [(epoch, sock) for epoch, sock in self._sockets if epoch == self._epoch]
        for sock in stale:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._forwarding.set()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        self._listener.close()
        with self._lock:
            self._epoch += 1
            sockets, self._sockets = self._sockets, []
        self._forwarding.set()
        for _, sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class HungService(StallingProxy):
    """A service that accepts connections and never answers, until ``release(port)`` makes it the real one."""

    def __init__(self) -> None:
        super().__init__(None)
        self.stall()

    def release(self, port: int) -> None:
        """From now on relay to the real service on ``port``; connections held so far are dropped."""
        self._target = port
        self.resume()
