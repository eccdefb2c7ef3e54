"""Run ecogis commands for tests/test_hostile.py, one JSON request per line on stdin.

The worker lives in its own process under ``resource`` limits (address space and CPU time, set
by the parent), so that a case that eats memory or loops is stopped by the kernel, not by luck.
Each request is ``{"args": [...], "cwd": "...", "lang": "en"|"zh", "timeout": s}``; each answer
is ``{"exit": n, "stdout": ..., "stderr": ..., "seconds": t, "exception": repr|None}``. A case
that runs past its timeout is stopped by SIGALRM and answered with ``"exit": "timeout"``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def main() -> None:
    from click.testing import CliRunner

    from ecogis.cli import cli

    signal.signal(signal.SIGALRM, _alarm)
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the channel
    for line in sys.stdin:
        req = json.loads(line)
        os.chdir(req["cwd"])
        os.environ["ECOGIS_LANG"] = req.get("lang", "en")
        t0 = time.monotonic()
        answer: dict = {"exception": None}
        signal.alarm(int(req.get("timeout", 20)))
        try:
            r = CliRunner().invoke(cli, req["args"], catch_exceptions=True)
            answer.update(exit=r.exit_code, stdout=r.stdout, stderr=r.stderr)
            exc = r.exception
            if exc is not None and not isinstance(exc, SystemExit):
                if isinstance(exc, _Timeout):
                    answer["exit"] = "timeout"
                else:
                    answer["exception"] = "".join(
                        traceback.format_exception(type(exc), exc, exc.__traceback__)
                    )[-3000:]
        except _Timeout:
            answer.update(exit="timeout", stdout="", stderr="")
        except MemoryError:
            answer.update(exit="memory", stdout="", stderr="")
        finally:
            signal.alarm(0)
        answer["seconds"] = time.monotonic() - t0
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
