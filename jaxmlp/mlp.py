"""The architecture of a multi-layer perceptron: layer sizes and activations, no arrays."""

from __future__ import annotations

import dataclasses
import numbers

from .activations import Activation, get_activation


@dataclasses.dataclass(frozen=True)
class MLP:
    """A frozen, hashable description of an MLP; pass it to ``jax.jit`` as a static argument.

    Args:
      sizes: ``(d, h_1, ..., h_p, c)``; ``(d, c)`` with ``output="softmax"`` is softmax regression.
      hidden: activation of every hidden layer (a name or a ``jaxmlp.Activation``).
      output: activation of the output layer; ``"softmax"`` is allowed only here.

    Example:
      >>> import jaxmlp
      >>> mlp = jaxmlp.MLP((2, 3, 1))  # the lecture's 2-layer sigmoid MLP
      >>> mlp.n_layers, mlp.n_hidden
      (2, 1)
    """

    sizes: tuple[int, ...]
    hidden: str | Activation = "sigmoid"
    output: str | Activation = "sigmoid"

    def __post_init__(self):
        object.__setattr__(self, "sizes", _check_sizes(self.sizes))
        hidden = get_activation(self.hidden, argument="hidden")
        get_activation(self.output, argument="output")
        if not hidden.elementwise:
            raise ValueError(
                f"hidden={hidden.name!r} is not elementwise and is allowed only as the output "
                "activation; choose an elementwise hidden activation such as 'sigmoid' or 'relu'"
            )

    @property
    def hidden_activation(self) -> Activation:
        return get_activation(self.hidden)

    @property
    def output_activation(self) -> Activation:
        return get_activation(self.output)

    @property
    def n_layers(self) -> int:
        """Number of weight layers, ``p + 1``."""
        return len(self.sizes) - 1

    def matmul_flops(self, training: bool = False) -> int:
        """Matrix-product FLOPs of one example: the forward pass ``2 Σ n_in n_out``; with
        ``training``, the weight gradients as much again and the input gradients of every layer
        but the first (the data's is never needed)."""
        layers = [n_in * n_out for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]
        forward = 2 * sum(layers)
        return forward + 2 * sum(layers) + 2 * sum(layers[1:]) if training else forward

    @property
    def n_hidden(self) -> int:
        """Number of hidden layers ``p``."""
        return len(self.sizes) - 2

    @property
    def n_inputs(self) -> int:
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    @property
    def n_params(self) -> int:
        return sum((n_in + 1) * n_out for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]))


def _check_sizes(sizes) -> tuple[int, ...]:
    if isinstance(sizes, str | bytes) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a sequence of layer widths (d, h_1, ..., c), got {sizes!r}")
    sizes = tuple(sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"sizes={sizes!r} needs at least an input and an output width, e.g. (d, c) or (d, h, c)"
        )
    for i, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise TypeError(f"sizes[{i}]={size!r} must be a positive integer")
        if size <= 0:
            raise ValueError(f"sizes[{i}]={size!r} must be a positive integer")
    return tuple(int(size) for size in sizes)
