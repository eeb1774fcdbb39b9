"""Finding a free local port for a server a tool or a test starts. Standard library only: the tests of the
installed application import it too."""

import os
import socket


def first_free_port(ports):
    """The first of `ports` that nothing on 127.0.0.1 is bound to, or None.

    The server is started later by another process, so between this look and its bind another process may take the
    port. Under pytest-xdist (gw0, gw1, ...; the processes a worker starts inherit the name) each worker begins
    looking at its own tenth of the range and goes round, so that two workers looking at the same moment do not pick
    the same port."""
    ports = list(ports)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    offset = int(worker[2:]) * max(len(ports) // 10, 1) % len(ports) if ports and worker[2:].isdigit() else 0
    for port in [*ports[offset:], *ports[:offset]]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return None
