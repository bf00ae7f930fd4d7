"""Pieces the client test modules share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module", autouse=True)
def empty_trust_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No certificate is ever checked here: the clients talk plain HTTP to 127.0.0.1.

    httpx builds every client's TLS context from SSL_CERT_FILE or SSL_CERT_DIR (its
    trust_env), else from certifi's bundle; loading a bundle costs about 70 ms a client,
    a directory (looked up lazily) nothing. Import this fixture into a module to use it.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SSL_CERT_FILE", raising=False)
        patch.setenv("SSL_CERT_DIR", str(tmp_path_factory.mktemp("no-certificates")))
        yield
