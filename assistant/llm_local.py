"""llama.cpp in this process (the prebuilt `xllamacpp` wheel): an OpenAI-compatible server on loopback.

The "llamacpp" backend starts one for a local GGUF file and then talks to it like any other server;
`scripts/llm_server.py` serves one on its own.
"""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class GenerativeError(RuntimeError):
    """The language model or its server cannot be used; the message says what to check."""


INSTALL_HINT = "pip install 'never-sorry-assistant[generative]'"


@dataclass
class LocalServer:
    """A llama.cpp server running in this process; `base_url` ends in /v1."""

    handle: Any
    base_url: str
    model_path: str


def start_local_server(
    model_path: str | Path | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    n_ctx: int = 4096,
    threads: int | None = None,
    n_parallel: int = 1,
    alias: str = "local-model",
    verbose: bool = False,
) -> LocalServer:
    """Start llama.cpp's OpenAI-compatible server for a GGUF file; port 0 picks a free port."""
    path = _check_model_path(model_path)
    try:
        import xllamacpp
    except ImportError as exc:
        raise GenerativeError(f"the llamacpp backend needs xllamacpp: {INSTALL_HINT}") from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.hostnames = [host]
    params.port = port
    params.n_ctx = n_ctx
    params.n_parallel = n_parallel
    params.model_alias = {alias}
    params.verbosity = 3 if verbose else 0  # 0 keeps llama.cpp's per-request logging off stderr
    if threads:
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
    try:
        handle = xllamacpp.Server(params)
    except RuntimeError as exc:
        raise GenerativeError(f"llama.cpp could not load {path}: is it a GGUF model file? ({exc})") from exc
    address = str(handle.listening_address).rstrip("/")
    _wait_healthy(address)
    return LocalServer(handle=handle, base_url=f"{address}/v1", model_path=str(path))


def _check_model_path(model_path: str | Path | None) -> Path:
    if not model_path:
        raise GenerativeError(
            "the llamacpp backend needs a model: set ASSISTANT_LLAMACPP_MODEL_PATH to a .gguf file."
        )
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise GenerativeError(f"no GGUF model file at {path}: check ASSISTANT_LLAMACPP_MODEL_PATH.")
    return path


def _wait_healthy(address: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{address}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise GenerativeError(
                f"the llama.cpp server at {address} did not become ready in {timeout_s:.0f} s."
            )
        time.sleep(0.2)
