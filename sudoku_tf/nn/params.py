"""Trainable parameters and the `Module` base class that names and lists them.

A `Param` is a value array with a gradient array of the same shape. A `Module` finds
its parameters by walking its attributes, so every container gets dotted names
(`blocks.2.attn.Wq`) and one fixed order for free.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np


class Param:
    """A named trainable array and its accumulated gradient."""

    __slots__ = ("name", "value", "grad")

    def __init__(self, name: str, value: np.ndarray):
        self.name = name
        self.value = value
        self.grad = np.zeros_like(value)

    def zero_grad(self) -> None:
        self.grad.fill(0)

    def astype(self, dtype) -> None:
        """Casts value and gradient in place (float64 for gradient checks)."""
        self.value = self.value.astype(dtype)
        self.grad = self.grad.astype(dtype)

    def __repr__(self) -> str:
        return f"Param({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


class Module:
    """Base for layers and models: lists parameters, clears gradients, guards caches."""

    def named_params(self, prefix: str = "") -> Iterator[tuple[str, Param]]:
        """Yields (dotted name, Param) in attribute order, children included."""
        for attr, obj in vars(self).items():
            if attr.startswith("_"):
                continue
            yield from _walk(obj, prefix + attr)

    def params(self) -> list[Param]:
        return [p for _, p in self.named_params()]

    def zero_grad(self) -> None:
        for p in self.params():
            p.zero_grad()

    def astype(self, dtype) -> "Module":
        """Casts every parameter in place (float64 for gradient checks); returns self."""
        for p in self.params():
            p.astype(dtype)
        return self

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        yield prefix.rstrip("."), self
        for attr, obj in vars(self).items():
            if attr.startswith("_"):
                continue
            if isinstance(obj, Module):
                yield from obj.named_modules(prefix + attr + ".")
            elif isinstance(obj, (list, tuple)):
                for i, item in enumerate(obj):
                    if isinstance(item, Module):
                        yield from item.named_modules(f"{prefix}{attr}.{i}.")

    def n_params(self) -> int:
        return sum(p.value.size for p in self.params())

    def _summary_table(self, title: str, rows: list[tuple[str, str, int]]) -> str:
        """title, then one line per (part, output shape, parameter count) and the total."""
        lines = [title, f"{'part':<28}{'output':<18}{'params':>10}"]
        lines += [f"{name:<28}{shape:<18}{n:>10,}" for name, shape, n in rows]
        lines.append(f"{'total':<46}{self.n_params():>10,}")
        return "\n".join(lines)

    def _require_cache(self):
        cache = getattr(self, "_cache", None)
        if cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return cache


def _walk(obj, name: str) -> Iterator[tuple[str, Param]]:
    if isinstance(obj, Param):
        yield name, obj
    elif isinstance(obj, Module):
        yield from obj.named_params(name + ".")
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from _walk(item, f"{name}.{i}")


def positive_ints(**values) -> dict[str, int]:
    """The named values as Python ints, or a ValueError naming the first that is not a
    positive integer (numpy integers are accepted, so a config stays JSON-able)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return {name: int(value) for name, value in values.items()}


def as_generator(seed) -> np.random.Generator:
    """A NumPy Generator from a seed, None, or an existing Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
