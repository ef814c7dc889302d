"""The endpoint under faults: broken, hostile and vanishing clients get the right 4xx, and others are still served."""

from __future__ import annotations

import socket
import struct
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
from serving import Server

ASK = "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }")

#: One client for the module's requests: each httpx.get() builds a client of its own, loading the system's
#: certificates (60 ms of CPU). No connection is kept alive, so every request still comes on a new connection.
HTTP = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))


@pytest.fixture
def server(kg_server: Server) -> Iterator[Server]:
    """The shared `kg serve`; after each test it must still answer, and its log must hold no traceback."""
    logged = len(kg_server.log_text())
    yield kg_server
    assert HTTP.get(kg_server.url + ASK, timeout=10).json()["boolean"] is True
    assert "Traceback" not in kg_server.log_text()[logged:]


def exchange(server: Server, request: bytes, timeout: float = 10.0) -> bytes:
    """Send raw bytes, read until the server closes or has sent a whole response head and body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as connection:
        connection.sendall(request)
        received = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            if length and len(body) >= int(length[0].split(b":")[1]):
                break
        return received


def status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


@pytest.mark.parametrize(
    "query_string",
    ["query=%ZZ", "query=%", "query=ASK%7", "query=%FF%FE", "query=ASK%20%7B%C3%28%7D", "query=%00"],
)
def test_malformed_percent_encoding_is_400(server: Server, query_string: str) -> None:
    response = HTTP.get(f"{server.url}/sparql?{query_string}", timeout=10)
    assert response.status_code == 400, response.text


def test_a_form_with_bytes_that_are_not_utf8_is_400(server: Server) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = HTTP.post(f"{server.url}/sparql", content=b"query=%FF%FE", headers=headers, timeout=10)
    assert response.status_code == 400
    assert "not valid UTF-8" in response.text


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/plain", b"ASK {}", 415),
        ("application/json", b'{"query": "ASK {}"}', 415),
        ("multipart/form-data; boundary=x", b"--x\r\n\r\nASK {}\r\n--x--", 415),
        (None, b"ASK {}", 415),
        ("application/sparql-query", b"ASK { \xff }", 400),
        ("application/sparql-query", b"", 400),
    ],
)
def test_wrong_content_types_and_bodies(server: Server, content_type: str | None, body: bytes, expected: int) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = HTTP.post(f"{server.url}/sparql", content=body, headers=headers, timeout=10)
    assert response.status_code == expected, response.text


def test_a_huge_declared_body_is_refused_before_it_is_sent(server: Server) -> None:
    request = (
        b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 1000000000000\r\n\r\nASK {}"
    )
    started = time.monotonic()
    assert status(exchange(server, request)) == 413
    assert time.monotonic() - started < 5  # answered at once, not after waiting for a terabyte


def test_an_oversized_chunked_body_is_413(server: Server) -> None:
    chunk = b"#" * 500_000
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    request = (
        b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body
    )
    assert status(exchange(server, request)) == 413


def test_an_oversized_header_is_refused(server: Server) -> None:
    request = b"GET " + ASK.encode() + b" HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + b"a" * 200_000 + b"\r\n\r\n"
    response = exchange(server, request)
    assert status(response) in (400, 431)  # uvicorn's HTTP parser stops reading a head past 16 kB


def test_an_overlong_url_is_414(server: Server) -> None:
    target = "/sparql?query=" + urllib.parse.quote("ASK {} #" + "x" * 1_100_000)
    response = exchange(server, f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode(), timeout=30)
    assert status(response) in (400, 414)  # 400 from uvicorn's HTTP parser, before the endpoint's own 414


def test_garbage_instead_of_http_does_not_stop_the_server(server: Server) -> None:
    for garbage in (b"\x00\xff\x16\x03\x01" * 100, b"GET\r\n\r\n", b"NOT-A-METHOD / HTTP/1.1\r\n\r\n", b"\r\n" * 1000):
        assert status(exchange(server, garbage, timeout=5)) == 400


def test_clients_that_vanish_mid_response(server: Server) -> None:
    """Twenty clients ask for a large result, read a little, and reset the connection."""
    query = urllib.parse.quote("SELECT * WHERE { ?s ?p ?o } LIMIT 1000")
    request = f"GET /sparql?query={query} HTTP/1.1\r\nHost: localhost\r\nAccept: text/csv\r\n\r\n".encode()
    for _ in range(20):
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        connection.sendall(request)
        connection.recv(100)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        connection.close()


def test_slow_and_silent_clients_do_not_block_others(server: Server) -> None:
    """Thirty connections send half a request head and stall; another client is still answered at once."""
    stalled = []
    try:
        for _ in range(30):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            connection.sendall(b"GET " + ASK.encode() + b" HTTP/1.1\r\nHost: local")
            stalled.append(connection)
        # Blocked, the server would never answer while the stalled connections stay open: the client's time
        # limit is the bound, generous because a busy machine may take seconds to answer at all.
        assert HTTP.get(server.url + ASK, timeout=60).json()["boolean"] is True
    finally:
        for connection in stalled:
            connection.close()


def test_a_client_that_does_not_read_its_answer_does_not_block_others(server: Server) -> None:
    query = urllib.parse.quote("SELECT * WHERE { ?s ?p ?o } LIMIT 1000")
    request = f"GET /sparql?query={query} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as reader:
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        for _ in range(5):
            reader.sendall(request)  # pipelined, never read
        # Blocked, the server would never answer while the reader stays unread (see above for the bound).
        assert HTTP.get(server.url + ASK, timeout=60).json()["boolean"] is True
