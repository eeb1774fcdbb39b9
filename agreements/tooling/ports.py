"""Finding a free local port for a server a tool or a test starts. Standard library only: the tests of the
installed application import it too."""

import socket


def first_free_port(ports):
    """The first of `ports` that nothing on 127.0.0.1 is bound to, or None."""
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return None
