"""PyTorch side of `npm run bench:train` (bench/train/run.ts).

A long-lived child process: reads one JSON request per line on stdin, answers one JSON line on stdout, so the Node
driver can interleave PyTorch rounds with kindling rounds (A B A B ...) and never run both at once. Between
requests it blocks on stdin and uses no CPU.

Requests:
  {"op": "info"}                                          -> versions, threads, BLAS
  {"op": "setup", "key", "model", "batch", "amp", "data", "nbatches", "warmup", "seed"}
                                                          -> builds the model, loads the batches, runs the warm-up
  {"op": "round", "key", "steps"}                         -> {"ms": wall time of `steps` training steps, "loss"}
  {"op": "quit"}

The training step is the body of Ignite's `supervised_training_step` / `supervised_training_step_amp`
(ignite/engine/__init__.py, gradient_accumulation_steps=1): model.train(), optimizer.zero_grad(), forward and
loss (under torch.autocast('cpu', dtype=torch.bfloat16) for amp), loss.backward(), optimizer.step(),
loss.item(). It runs in a plain loop: Ignite's Engine itself adds 4-6 us per iteration (PyTorch-Ignite 0.5.3),
well under 1% of these steps, and Ignite is not packaged by Debian.

Run with /usr/bin/python3 and LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (see docs/benchmarks.md).
"""

import json
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
torch.set_num_threads(THREADS)


def mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(),
        nn.Linear(512, 256), nn.ReLU(),
        nn.Linear(256, 10),
    )


def cnn() -> nn.Module:
    # 28x28 -> conv3 26x26x32 -> pool 13x13 -> conv3 11x11x64 -> pool 5x5 -> 1600 -> 128 -> 10 (as tfjs 'valid')
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 5 * 5, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def load_batches(path: str, model: str, batch: int, nbatches: int):
    """The file holds nbatches * batch * 784 float32 pixels, then nbatches * batch int32 labels (little-endian)."""
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    nx = nbatches * batch * 784
    xs = torch.frombuffer(raw, dtype=torch.float32, count=nx).clone()
    ys = torch.frombuffer(raw, dtype=torch.int32, count=nbatches * batch, offset=nx * 4).clone().long()
    # tfjs is NHWC and PyTorch NCHW: with one channel both are the same bytes.
    shape = (nbatches, batch, 784) if model == "mlp" else (nbatches, batch, 1, 28, 28)
    xs = xs.reshape(shape)
    ys = ys.reshape(nbatches, batch)
    return [(xs[i].contiguous(), ys[i].contiguous()) for i in range(nbatches)]


class Run:
    def __init__(self, req):
        torch.manual_seed(int(req.get("seed", 0)))
        self.model = mlp() if req["model"] == "mlp" else cnn()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=float(req.get("lr", 0.01)), momentum=0.9)
        self.amp = req.get("amp") == "bfloat16"
        self.batches = load_batches(req["data"], req["model"], int(req["batch"]), int(req["nbatches"]))
        self.i = 0

    def step(self) -> float:
        x, y = self.batches[self.i % len(self.batches)]
        self.i += 1
        self.model.train()
        self.optimizer.zero_grad()
        if self.amp:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                y_pred = self.model(x)
                loss = F.cross_entropy(y_pred, y)
        else:
            y_pred = self.model(x)
            loss = F.cross_entropy(y_pred, y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def timed(self, steps: int):
        loss = float("nan")
        t0 = time.perf_counter()
        for _ in range(steps):
            loss = self.step()
        return (time.perf_counter() - t0) * 1000.0, loss


def blas_info() -> str:
    lib = os.environ.get("LD_LIBRARY_PATH", "")
    return "openblas-openmp" if "openblas-openmp" in lib else f"system libblas.so.3 (LD_LIBRARY_PATH={lib or 'unset'})"


def main() -> None:
    runs = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "quit":
                break
            if op == "info":
                res = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info(),
                       "python": sys.version.split()[0], "mkldnn": torch.backends.mkldnn.is_available(),
                       "bf16": hasattr(torch, "autocast")}
            elif op == "setup":
                run = Run(req)
                runs[req["key"]] = run
                ms, loss = run.timed(int(req.get("warmup", 3)))
                res = {"warmupMs": ms, "loss": loss}
            elif op == "round":
                ms, loss = runs[req["key"]].timed(int(req["steps"]))
                res = {"ms": ms, "loss": loss}
            else:
                res = {"error": f"unknown op {op!r}"}
        except Exception as e:  # report to the driver instead of dying mid-benchmark
            res = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
