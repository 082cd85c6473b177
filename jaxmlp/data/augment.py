"""Data augmentation of flattened images: each training example shifted by its own random offset.

A ``Shifts`` is a frozen, hashable description, so that the engine holds it as a static part
of its compiled program and calls it on each gathered training batch: ``shifts(key, X_batch)``.
It never touches validation, evaluation or prediction.

Example:
  >>> import jax, jax.numpy as jnp
  >>> from jaxmlp.data.augment import Shifts
  >>> X = jnp.arange(2 * 9.0).reshape(2, 9)  # two 3 x 3 images
  >>> Shifts((3, 3), max_shift=1)(jax.random.key(0), X).shape
  (2, 9)
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import jax
import jax.numpy as jnp

from .catalog import parse_augment


@dataclasses.dataclass(frozen=True)
class Shifts:
    """Per-example random shifts with zero padding (nothing wraps around the border).

    Attributes:
      image_shape: ``(h, w)`` or ``(h, w, channels)``: how a flattened row is laid out.
      max_shift: each example moves by an integer ``(dy, dx)`` drawn uniformly from
        ``[-max_shift, max_shift]²``; ``0`` leaves the rows as they are.
    """

    image_shape: tuple[int, ...]
    max_shift: int

    def __post_init__(self):
        shape = self.image_shape
        if not (
            isinstance(shape, tuple)
            and len(shape) in (2, 3)
            and all(_is_int(size) and size >= 1 for size in shape)
        ):
            raise ValueError(
                f"image_shape must be a tuple (h, w) or (h, w, channels) of positive integers, "
                f"got {shape!r}"
            )
        if not (_is_int(self.max_shift) and 0 <= self.max_shift < min(shape[:2])):
            raise ValueError(
                f"max_shift must be an integer in [0, {min(shape[:2])}) for images of shape "
                f"{shape}, got {self.max_shift!r}"
            )
        object.__setattr__(self, "image_shape", tuple(int(size) for size in shape))
        object.__setattr__(self, "max_shift", int(self.max_shift))

    @property
    def n_inputs(self) -> int:
        """The width of a flattened row: ``h * w * channels``."""
        return math.prod(self.image_shape)

    def __call__(self, key: jax.Array, X: jax.Array) -> jax.Array:
        """``X: (b, h w c)`` with each row shifted by its own offset drawn from ``key``."""
        s = self.max_shift
        if s == 0:
            return X
        offsets = jax.random.randint(key, (X.shape[0], 2), -s, s + 1)  # (b, 2): (dy, dx)
        return shift(X, offsets, self.image_shape, s)


def shift(X: jax.Array, offsets: jax.Array, image_shape: tuple[int, ...], max_shift: int):
    """``X: (b, h w c)`` with row ``i`` moved down ``offsets[i, 0]`` and right ``offsets[i, 1]``
    pixels, zeros coming in; offsets must lie in ``[-max_shift, max_shift]``.

    The batch is padded once by ``max_shift`` zeros, and each image cut out of it at its own
    offset (a vmapped dynamic slice): on a CPU that measured fastest of a gather, a select
    among the shifted copies and shift matrices."""
    h, w = image_shape[:2]
    s = max_shift
    images = X.reshape(X.shape[0], *image_shape)
    pad = [(0, 0), (s, s), (s, s)] + [(0, 0)] * (len(image_shape) - 2)
    padded = jnp.pad(images, pad)  # (b, h + 2s, w + 2s[, c])

    def cut(image, offset):
        start = (s - offset[0], s - offset[1]) + (0,) * (len(image_shape) - 2)
        return jax.lax.dynamic_slice(image, start, image_shape)

    return jax.vmap(cut)(padded, offsets).reshape(X.shape)


def shifts_from_spec(spec: str, image_shape) -> Shifts | None:
    """The augmentation of ``spec`` (``"none"`` or ``"shift:S"``) for images of ``image_shape``,
    ``None`` for ``"none"``; a ``ValueError`` for a bad spec or data that are not images."""
    max_shift = parse_augment(spec)
    if max_shift == 0:
        return None
    if image_shape is None:
        raise ValueError(
            f"augmentation {spec!r} shifts images, but the data have no image shape (only "
            "image data such as fashion-mnist, mnist:DIR, idx:DIR, digits or an .npz of images)"
        )
    return Shifts(tuple(image_shape), max_shift)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
