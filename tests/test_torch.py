"""micrograd's own engine tests, rewritten for ``Var``, against PyTorch in float64.

PyTorch is a test-only extra (``pip install torch==2.13.0``); without it these skip.
"""

import pytest

import symgrad
from symgrad import Var

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.needs_torch


def tensor(v):
    return torch.tensor([v], dtype=torch.float64, requires_grad=True)


def test_sanity_check():
    x = Var(-4.0, name="x")
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()

    xt = tensor(-4.0)
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt
    yt.backward()

    assert y.value == yt.item()
    assert x.grad == xt.grad.item()


def test_more_ops():
    a, b = Var(-4.0, name="a"), Var(2.0, name="b")
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()

    at, bt = tensor(-4.0), tensor(2.0)
    ct = at + bt
    dt = at * bt + bt**3
    ct = ct + ct + 1
    ct = ct + 1 + ct + (-at)
    dt = dt + dt * 2 + (bt + at).relu()
    dt = dt + 3 * dt + (bt - at).relu()
    et = ct - dt
    ft = et**2
    gt = ft / 2.0
    gt = gt + 10.0 / ft
    gt.backward()

    tol = 1e-12
    assert abs(g.value - gt.item()) < tol * abs(gt.item())
    assert abs(a.grad - at.grad.item()) < tol * abs(at.grad.item())
    assert abs(b.grad - bt.grad.item()) < tol * abs(bt.grad.item())


def test_transcendental_ops_and_second_derivatives():
    x, y = Var(0.7, name="x"), Var(1.3, name="y")

    def f(x, y, lib):
        s = lib.sigmoid(x * y) + lib.tanh(x - y) * lib.exp(x / 3)
        return s * lib.log(y + 2) + lib.sqrt(y) * lib.sin(x) - lib.cos(x * x) / (1 + y**2)

    out = f(x, y, symgrad)
    xt, yt = tensor(0.7), tensor(1.3)
    outt = f(xt, yt, torch)
    assert out.value == pytest.approx(outt.item(), rel=1e-14)

    gx, gy = torch.autograd.grad(outt, [xt, yt], create_graph=True)
    assert symgrad.grad(out, [x, y]) == pytest.approx([gx.item(), gy.item()], rel=1e-13)

    gxx, gxy = torch.autograd.grad(gx, [xt, yt])
    dx = symgrad.grad(out, x, create_graph=True)
    assert symgrad.grad(dx, [x, y]) == pytest.approx([gxx.item(), gxy.item()], rel=1e-12)
