"""Size and CPU speed of every segmentation method in the pool, as a markdown table.

For each method and size variant: parameters, forward GFLOPs per 256 x 256 tile (as torch's
FlopCounterMode counts them, two per multiply-add; independent of machine load), inference time per tile at batch 1 and batch 8 (eval mode, no
autograd), and the wall time of one training step at batch 8 (forward, auxiliary losses,
backward, SGD update), all with a fixed number of torch threads.

    python benchmarks/segzoo_profile.py                      # every method, variants cpu and paper
    python benchmarks/segzoo_profile.py --methods banet dcswin --variants cpu --repeats 5

Variants a method does not distinguish (its state dict has the same layout as an earlier row)
are listed once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

# Idle OpenMP threads sleep instead of spinning: on a shared machine a spinning thread waits for a
# descheduled peer at every parallel region, which slowed 2-thread runs here by 10-50x.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after the OpenMP setting)
import torch.nn.functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from rssqa.errors import InputError  # noqa: E402
from rssqa.segzoo import available_methods, get_method  # noqa: E402

NUM_CLASSES = 6  # the Dubai dataset's classes


def median_seconds(step, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gflops_per_tile(model, size: int) -> float:
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model(torch.randn(1, 3, size, size))
    return counter.get_total_flops() / 1e9


def inference_ms_per_tile(model, batch: int, size: int, repeats: int) -> float:
    model.eval()
    x = torch.randn(batch, 3, size, size)

    def step():
        with torch.inference_mode():
            model(x)

    return 1000 * median_seconds(step, repeats) / batch


def train_step_seconds(model, batch: int, size: int, repeats: int) -> float:
    model.train()
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, NUM_CLASSES, (batch, size, size))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

    def step():
        output = model(x)
        logits, aux = output if isinstance(output, tuple) else (output, [])
        loss = F.cross_entropy(logits, y) + 0.4 * sum(F.cross_entropy(a, y) for a in aux)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return median_seconds(step, repeats)


def layout(model) -> list[tuple[str, tuple[int, ...]]]:
    return [(name, tuple(t.shape)) for name, t in model.state_dict().items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="*", default=None, help="default: every registered method")
    parser.add_argument("--variants", nargs="*", default=["cpu", "paper"])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-train", action="store_true", help="skip the training-step column")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    size = args.size
    print(f"torch {torch.__version__}, {args.threads} threads, OMP_WAIT_POLICY="
          f"{os.environ['OMP_WAIT_POLICY']}, {size} x {size} px tiles, {NUM_CLASSES} classes, "
          f"median of {args.repeats} runs\n")
    print("| method | variant | params (M) | GFLOPs/tile | ms/tile b1 | ms/tile b8 | train step b8 (s) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in args.methods or available_methods():
        method = get_method(name)
        seen = []
        for variant in args.variants:
            try:
                model = method.create(NUM_CLASSES, variant=variant)
            except (InputError, ValueError) as error:
                print(f"| {name} | {variant} | - | - | - | - | {error} |")
                continue
            if layout(model) in seen:
                continue
            seen.append(layout(model))
            params = sum(p.numel() for p in model.parameters()) / 1e6
            flops = gflops_per_tile(model, size)
            b1 = inference_ms_per_tile(model, 1, size, args.repeats)
            b8 = inference_ms_per_tile(model, 8, size, args.repeats)
            train = "-" if args.no_train else f"{train_step_seconds(model, 8, size, args.repeats):.2f}"
            print(f"| {name} | {variant} | {params:.2f} | {flops:.1f} | {b1:.0f} | {b8:.0f} | {train} |",
                  flush=True)


if __name__ == "__main__":
    main()
