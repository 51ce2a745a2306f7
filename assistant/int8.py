"""Int8 linear layers whose output for a token depends on that token alone.

torch's dynamic quantisation (`quantize_dynamic`) takes one activation scale from the whole
input tensor: every padded token of every text in the batch. A text's vector then changed
with what it was batched with (cosine 0.971 between a passage embedded alone and in a batch
of nine), so an index grown one article at a time ranked differently from a full build of
the same articles. Here each token row gets its own scale (per-token activations,
per-channel weights, symmetric int8) and the product is an exact integer matrix product
(`torch._int_mm`), so a row's result is the same bits whatever other rows share the call,
in whatever order, on however many threads. On SQuAD it is also closer to float32 than the
per-tensor scheme (dense R@5 0.887 against 0.884, float32 0.889; bench/bench_embed.py).

`torch._int_mm` is fast only where the CPU has int8 dot-product instructions (VNNI, AMX); on an
AVX2-only CPU it ran 50x slower than a float32 product of the same shape (317 against 6.4 ms
for 176x384 by 384x1536), making a question take seconds. The same integer product can be had
from float32 arithmetic, exactly: a product of two int8 values is at most 127² = 16,129, so a
sum of up to 1,024 of them stays under 2²⁴ and every partial sum is an integer float32 holds
exactly, whatever the order of summation. Longer rows are multiplied in slices of 1,024 and the
slices added in float64. Which of the two bit-identical ways is used is measured once per
process (`integer_product`).
"""
from __future__ import annotations

import time
from functools import lru_cache

import torch

_LEVELS = 127.0  # symmetric: -127..127, so negating a value never overflows
EXACT_SLICE = 1024  # 1,024 · 127² < 2²⁴: a float32 sum of this many int8 products is exact


def float_product(quantised: torch.Tensor, weight_t: torch.Tensor) -> torch.Tensor:
    """The exact integer product of int8 `quantised` (rows, in) and `weight_t` (in, out, as float32
    integers), computed in float32 slices of EXACT_SLICE inputs (module docstring), as int32."""
    values = quantised.float()
    if weight_t.shape[0] <= EXACT_SLICE:
        return (values @ weight_t).to(torch.int32)
    total = torch.zeros(values.shape[0], weight_t.shape[1], dtype=torch.float64)
    for start in range(0, weight_t.shape[0], EXACT_SLICE):
        total += (values[:, start:start + EXACT_SLICE] @ weight_t[start:start + EXACT_SLICE]).double()
    return total.to(torch.int32)


@lru_cache(maxsize=1)
def integer_product() -> str:
    """"int_mm" where torch._int_mm is the faster way to this CPU's exact int8 product, else "float"
    (float_product): timed once, on a passage-sized product."""
    a = torch.randint(-127, 128, (128, 384), dtype=torch.int8)
    b = torch.randint(-127, 128, (384, 384), dtype=torch.int8)
    b_float = b.float()
    timings = {}
    for name, run in (("int_mm", lambda: torch._int_mm(a, b)), ("float", lambda: float_product(a, b_float))):
        run()
        started = time.perf_counter()
        for _ in range(3):
            run()
        timings[name] = time.perf_counter() - started
    return min(timings, key=timings.get)


def symmetric_int8(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(int8 values, float scale per row) of a 2-D float tensor: row ≈ values · scale."""
    scale = rows.abs().amax(dim=1).clamp(min=1e-12) / _LEVELS
    return torch.round(rows / scale[:, None]).clamp(-_LEVELS, _LEVELS).to(torch.int8), scale


class TokenInt8Linear(torch.nn.Module):
    """y = x·Wᵀ + b with W per output channel and x per row (token) in int8, int32 accumulation."""

    def __init__(self, linear: torch.nn.Linear):
        super().__init__()
        quantised, scale = symmetric_int8(linear.weight.detach().float())
        self.register_buffer("weight_t", quantised.t().contiguous())  # (in, out): what _int_mm multiplies by
        self.register_buffer("weight_scale", scale)
        bias = linear.bias.detach().float() if linear.bias is not None else torch.zeros(linear.out_features)
        self.register_buffer("bias", bias)
        self.in_features, self.out_features = linear.in_features, linear.out_features

        self._weight_float = None  # weight_t as float32, made on first use where float_product is faster

    def product(self, quantised: torch.Tensor) -> torch.Tensor:
        """The exact int32 product of the int8 rows with the int8 weights, the faster way on this CPU."""
        if integer_product() == "int_mm":
            return torch._int_mm(quantised, self.weight_t)
        if self._weight_float is None:
            self._weight_float = self.weight_t.float()
        return float_product(quantised, self._weight_float)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        quantised, scale = symmetric_int8(x.reshape(-1, self.in_features).float())
        out = self.product(quantised).float() * scale[:, None] * self.weight_scale + self.bias
        return out.reshape(*x.shape[:-1], self.out_features).to(x.dtype)


def quantise_int8(model: torch.nn.Module) -> torch.nn.Module:
    """`model` with every linear layer replaced, in place, by a TokenInt8Linear (inference only)."""
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, torch.nn.Linear):
                setattr(module, name, TokenInt8Linear(child))
    return model
