#!/usr/bin/env python3
"""Executes the kit's notebooks on the Deno Jupyter kernel.

    python3 tasks/notebooks.py [--budget smoke|full] [--write] [--late-wait S] [NOTEBOOK ...]

Runs every notebook under notebooks/ (or the ones given) top to bottom in a fresh kernel whose working
directory is the notebook's folder. Exits 1 when any cell raises or a notebook cannot be executed.

- `--budget` sets OMAR_NOTEBOOK_BUDGET for the kernel (default: the environment's value, else `full`,
  the budget each notebook documents); CI uses `smoke`.
- By default the executed copy goes to a temporary folder and the notebooks stay untouched; `--write`
  writes the executed outputs back into the notebooks (for committing a run at the documented budget).
- With `--write`, every cell's source is made to end with a newline (see `end_cells_with_newline`).
- The Deno kernel can report a cell finished (status idle) before all of its output has reached the
  iopub channel. After each cell the executor waits `--late-wait` seconds (default 0.5) and drains the
  channel, attaching any late output to the cell that produced it.

Needs nbclient and nbformat (Debian: python3-nbclient, jupyter-client, jupyter-nbconvert) and the Deno
kernelspec (`deno jupyter --install`). When the `python3` on PATH lacks nbclient (a pyenv or venv
interpreter), the script re-runs itself with /usr/bin/python3 if that one has it.
"""

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error", "update_display_data", "clear_output"}

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbclient.util import ensure_async
except ImportError:
    system = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system):
        os.execv(system, [system, *sys.argv])
    sys.exit(
        "error: nbclient/nbformat not found; install them "
        "(Debian: apt-get install -y jupyter-nbconvert python3-nbclient jupyter-client)"
    )


class LateOutputClient(NotebookClient):
    """A NotebookClient that collects output arriving on iopub after a cell's idle status."""

    late_wait = 0.5

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        result = await super().async_execute_cell(
            cell, cell_index, execution_count=execution_count, store_history=store_history
        )
        if cell.cell_type == "code" and self.late_wait > 0:
            await asyncio.sleep(self.late_wait)
            await self._drain_late(cell, cell_index)
        return result

    async def _drain_late(self, cell, cell_index):
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=0.05))
            except Exception:  # queue.Empty (no more messages) or a closed channel
                return
            if msg.get("msg_type") not in OUTPUT_TYPES:
                continue
            # late output of this cell, or of nothing else: the kernel runs one cell at a time
            self.log.debug("late %s output for cell %d", msg["msg_type"], cell_index)
            self.process_message(msg, cell, cell_index)
            if msg["msg_type"] == "error" and not self.allow_errors:
                raise CellExecutionError.from_cell_and_msg(cell, msg["content"])


def end_cells_with_newline(nb):
    """Every cell's source ends with a newline: `deno fmt --check` (deno 2.9) expects it, while `deno fmt`
    drops it from the cells it reformats, so a notebook written by `deno fmt` can fail the check."""
    for cell in nb.cells:
        if cell.source and not cell.source.endswith("\n"):
            cell.source += "\n"


def find_notebooks(paths):
    if not paths:
        found = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
        if not found:
            sys.exit(f"error: no notebooks under {NOTEBOOK_DIR}")
        return found
    out = []
    for p in paths:
        path = Path(p)
        if not path.exists() and (NOTEBOOK_DIR / p).exists():
            path = NOTEBOOK_DIR / p
        if not path.is_file() or path.suffix != ".ipynb":
            sys.exit(f"error: {p}: not a notebook file")
        out.append(path.resolve())
    return out


def execute(path, args, scratch):
    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "deno")
    client = LateOutputClient(
        nb,
        kernel_name=kernel,
        timeout=args.timeout,
        iopub_timeout=args.iopub_timeout,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.late_wait = args.late_wait
    start = time.monotonic()
    error = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        error = err
    seconds = time.monotonic() - start
    if args.write and error is None:
        end_cells_with_newline(nb)
        nbformat.write(nb, path)
        where = path
    else:
        where = scratch / path.name
        nbformat.write(nb, where)
    return error, seconds, where


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    parser.add_argument("--budget", choices=["smoke", "full"], help="sets OMAR_NOTEBOOK_BUDGET")
    parser.add_argument("--write", action="store_true", help="write the executed outputs back")
    parser.add_argument("--late-wait", type=float, default=0.5, help="seconds to wait for late output")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds one cell may run")
    parser.add_argument("--iopub-timeout", type=int, default=10, help="seconds to wait for cell output")
    args = parser.parse_args()
    if args.budget:
        os.environ["OMAR_NOTEBOOK_BUDGET"] = args.budget
    budget = os.environ.get("OMAR_NOTEBOOK_BUDGET", "full")
    if shutil.which("deno") is None:
        sys.exit("error: deno not found on PATH")
    notebooks = find_notebooks(args.notebooks)
    scratch = Path(tempfile.mkdtemp(prefix="omar-notebooks-"))
    failed = []
    for path in notebooks:
        print(f"== {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} (budget {budget})", flush=True)
        error, seconds, where = execute(path, args, scratch)
        if error is None:
            print(f"   ok in {seconds:.0f} s -> {where}", flush=True)
        else:
            failed.append(path.name)
            print(f"   FAILED after {seconds:.0f} s (executed copy: {where})", flush=True)
            print(str(error), file=sys.stderr, flush=True)
    print(f"notebooks: {len(notebooks) - len(failed)} passed, {len(failed)} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
