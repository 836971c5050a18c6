"""Render time of MLP loss graphs as they grow: embedded graphviz-pure vs system dot.

Builds the loss graph of a small tanh MLP over a few samples from plain Vars (about
50, 500 and 3,000 drawn nodes), draws it with :func:`symgrad.draw` (full labels, and the
compact style), renders SVG with each available renderer in the same process, and
prints medians and the dot/embedded ratio.  System ``dot`` is timed only when it is on
PATH.

    python bench/render.py             # medians of 3 runs (1 run for slow cases)
    python bench/render.py --quick     # one run each, only the 50- and 500-node graphs

A render slower than ``--cap`` seconds (default 30) is stopped by the timeout, reported
as "> cap", and not repeated.

Then the figures of real networks (``nn`` models, built inside scopes):

- ``nn.MLP(2, [16, 16, 1], seed=0)``'s loss over 50 random points (about 34,000 nodes),
  folded by neurons: the time to make the DOT and to render SVG with each renderer
  (target: embedded ≤ 2 s), and the figure's size;
- the unfolded compact figure of ``nn.MLP(2, [5, 1], seed=0)`` on XOR (176 drawn nodes,
  clusters per scope): its render times and how many edges pass through a node they do
  not touch (:func:`symgrad.render.geometry.edges_through_nodes`; target: 0), with both
  renderers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import symgrad
from symgrad import Var, nn
from symgrad.errors import RenderError
from symgrad.graph import nodes
from symgrad.ops import CONST
from symgrad.render import RENDERERS, Diagram, draw
from symgrad.render.geometry import edges_through_nodes


def mlp_loss(n_in: int, hidden: list[int], samples: int, seed: int = 0) -> Var:
    """Squared-error loss of a tanh MLP (one output) summed over ``samples`` inputs."""
    rng = random.Random(seed)
    sizes = [n_in, *hidden, 1]
    layers = []
    for k in range(len(sizes) - 1):
        layer = []
        for j in range(sizes[k + 1]):
            ws = [Var(rng.uniform(-1, 1), name=f"w{k}_{j}_{i}") for i in range(sizes[k])]
            layer.append((ws, Var(rng.uniform(-1, 1), name=f"b{k}_{j}")))
        layers.append(layer)
    loss: Var | float = 0.0
    for s in range(samples):
        acts: list[Var | float] = [rng.choice([0.0, 1.0]) for _ in range(n_in)]
        for k, layer in enumerate(layers):
            new = []
            for ws, b in layer:
                z: Var = b
                for w, a in zip(ws, acts, strict=True):
                    z = z + w * a
                new.append(z if k == len(layers) - 1 else z.tanh())
            acts = new
        target = float(s % 2)
        loss = loss + (acts[0] - target) ** 2  # type: ignore[operator]
    assert isinstance(loss, Var)
    return loss


def drawn_nodes(out: Var) -> int:
    return sum(1 for v in nodes(out) if v.op is not CONST)


#: (label, n_in, hidden, samples) chosen to give about 50, 500 and 3,000 drawn nodes.
SIZES = [("~50", 2, [2], 2), ("~500", 3, [6, 4], 4), ("~3000", 4, [10, 8], 10)]


def timed(fn, repeat: int, cap: float) -> tuple[float | None, str]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        try:
            fn()
        except RenderError as exc:
            if "did not finish" in str(exc):
                return None, f"> {cap:g} s"
            return None, f"error: {exc}"
        times.append(time.perf_counter() - t)
        if times[-1] > 5:  # slow: one run is enough
            break
    return statistics.median(times), f"{statistics.median(times):.3f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cap", type=float, default=30.0)
    args = ap.parse_args()
    renderers = [name for name in ("embedded", "dot") if RENDERERS[name].available()]
    print(f"symgrad {symgrad.__version__}; renderers available: {', '.join(renderers)}")
    sizes = SIZES[:2] if args.quick else SIZES
    repeat = 1 if args.quick else args.repeat
    print(f"{'graph':>6} {'nodes':>6} {'style':>8} {'draw':>8} "
          + " ".join(f"{r:>12}" for r in renderers) + ("   dot/embedded" if len(renderers) > 1
                                                     else ""))
    defaults: list[str] = []
    for label, n_in, hidden, samples in sizes:
        out = mlp_loss(n_in, hidden, samples)
        n = drawn_nodes(out)
        # What a user gets with the defaults: the style draw() picks, or its refusal.
        t = time.perf_counter()
        try:
            d = draw(out)
            picked = "compact" if d.compact else "full"
        except RenderError as exc:
            picked = f"refused ({exc.__class__.__name__})"
        defaults.append(f"{label:>6} {n:>6} nodes: draw() picks {picked}; "
                        f"{time.perf_counter() - t:.3f} s to build the DOT")
        for style in (False, True):
            t = time.perf_counter()
            d = draw(out, compact=style, max_work=None, timeout=args.cap)
            t_draw = time.perf_counter() - t
            results = {}
            for r in renderers:
                d.renderer = r
                results[r] = timed(lambda d=d: (d._cache.clear(), d.svg()), repeat, args.cap)
            cells = " ".join(f"{results[r][1]:>12}" for r in renderers)
            ratio = ""
            if len(renderers) == 2 and results["embedded"][0] and results["dot"][0]:
                ratio = f"   {results['dot'][0] / results['embedded'][0]:.2f}×"
            print(f"{label:>6} {n:>6} {'compact' if style else 'full':>8} "
                  f"{t_draw:>7.3f}s {cells}{ratio}", flush=True)
    print("\nWith the defaults (compact above COMPACT_ABOVE nodes or when the full style's "
          "layout work exceeds MAX_WORK; refused above MAX_WORK):")
    print("\n".join(defaults))
    networks(renderers, repeat, args.cap)


def random_points(n: int, seed: int = 1) -> list[tuple[list[float], float]]:
    rng = random.Random(seed)
    return [([rng.uniform(-2, 2), rng.uniform(-2, 2)], rng.choice([0.0, 1.0]))
            for _ in range(n)]


def _render_row(label: str, d: Diagram, renderers: list[str], repeat: int, cap: float,
                t_draw: float) -> dict[str, float | None]:
    results = {}
    for r in renderers:
        d.renderer = r
        results[r] = timed(lambda d=d: (d._cache.clear(), d.svg()), repeat, cap)
    cells = " ".join(f"{results[r][1]:>12}" for r in renderers)
    ratio = ""
    if len(renderers) == 2 and results["embedded"][0] and results["dot"][0]:
        ratio = f"   {results['dot'][0] / results['embedded'][0]:.2f}×"
    print(f"{label:<44} {t_draw:>7.3f}s {cells}{ratio}", flush=True)
    return {r: results[r][0] for r in renderers}


def networks(renderers: list[str], repeat: int, cap: float) -> None:
    """The folded 2-16-16-1 network over 50 points, and a clean compact 176-node figure."""
    repeat = max(repeat, 3)
    print(f"\nnetworks (median of {repeat}){'':<18} {'draw':>8} "
          + " ".join(f"{r:>12}" for r in renderers)
          + ("   dot/embedded" if len(renderers) > 1 else ""))
    big = nn.loss_graph(nn.MLP(2, [16, 16, 1], seed=0), random_points(50))
    t = time.perf_counter()
    d = draw(big, fold="neurons")
    t_draw = time.perf_counter() - t
    got = _render_row(f"2-16-16-1 x 50 points, fold=neurons ({len(nodes(big)):,} nodes)", d,
                      renderers, repeat, cap, t_draw)
    emb = got.get("embedded")
    print(f"  drawn: {d!r}\n  embedded SVG {emb:.3f} s + DOT {t_draw:.3f} s: "
          f"{'within' if emb is not None and emb + t_draw <= 2 else 'OVER'} the 2 s target"
          if emb is not None else "  embedded: not available")
    xor5 = nn.loss_graph(nn.MLP(2, [5, 1], seed=0), nn.XOR)
    t = time.perf_counter()
    d = draw(xor5)
    t_draw = time.perf_counter() - t
    _render_row(f"2-5-1 on XOR, unfolded compact ({drawn_nodes(xor5)} drawn)", d, renderers,
                repeat, cap, t_draw)
    for r in renderers:
        d.renderer = r
        bad = edges_through_nodes(d.svg())
        print(f"  {r}: {len(bad)} edges through a node they do not touch (target 0)"
              + (f": {bad[:3]}" if bad else ""))

if __name__ == "__main__":
    main()
