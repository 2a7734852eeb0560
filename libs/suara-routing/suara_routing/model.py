"""The trained model as plain arrays: TF-IDF blocks and calibrated linear heads, in a file format that holds only
JSON and raw little-endian numbers (nothing is unpickled), written byte-for-byte reproducibly."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from suara_routing.features import Block, Features

MAGIC = b"SUARA-ROUTING-MODEL/1\n"
FloatArray = npt.NDArray[np.float64]


class ModelError(ValueError):
    """The model file is missing, altered or not a Suara routing model; the message says which."""


CALIBRATIONS = ("sigmoid", "softmax")


@dataclass(frozen=True)
class Head:
    """A linear model over the features with its calibration:
    - "sigmoid": one-vs-rest scores with a sigmoid calibrator per class (scikit-learn's CalibratedClassifierCV,
      method "sigmoid"): p_k = 1 / (1 + exp(a_k * score_k + b_k)), then normalised;
    - "softmax": a multinomial logistic regression: p = softmax(scores) (sigmoid_a and sigmoid_b unused, zeros)."""

    name: str
    classes: tuple[str, ...]
    weights: FloatArray  # features x classes (stored as float32, held as float64)
    intercept: FloatArray
    sigmoid_a: FloatArray
    sigmoid_b: FloatArray
    calibration: str = "sigmoid"

    def __post_init__(self) -> None:
        if self.calibration not in CALIBRATIONS:
            raise ModelError(f"head {self.name!r}: unknown calibration {self.calibration!r}")

    def scores(self, columns: npt.NDArray[np.int64], values: FloatArray) -> FloatArray:
        return values @ self.weights[columns] + self.intercept

    def calibrate(self, raw: FloatArray) -> FloatArray:
        """Probabilities from the raw products (features x weights, without the intercept)."""
        scores = raw + self.intercept
        if self.calibration == "softmax":
            e = np.exp(scores - scores.max())
            softmax: FloatArray = e / e.sum()
            return softmax
        p = 1.0 / (1.0 + np.exp(self.sigmoid_a * scores + self.sigmoid_b))
        total = float(p.sum())
        if total == 0.0:
            return np.full(len(self.classes), 1.0 / len(self.classes))
        normalised: FloatArray = p / total
        return normalised

    def probabilities(self, columns: npt.NDArray[np.int64], values: FloatArray) -> FloatArray:
        return self.calibrate(values @ self.weights[columns])

    def contributions(self, columns: npt.NDArray[np.int64], values: FloatArray, klass: int) -> FloatArray:
        """How much each present feature pushed the score of class `klass` (value x weight)."""
        contributions: FloatArray = values * self.weights[columns, klass]
        return contributions


@dataclass(frozen=True)
class RoutingModel:
    features: Features
    heads: dict[str, Head]
    metadata: dict[str, Any]

    def head(self, name: str) -> Head:
        return self.heads[name]


def save_model(model: RoutingModel, path: Path) -> str:
    """Writes the model and returns the file's SHA-256 (hex). Same model, same bytes."""
    arrays: list[bytes] = []
    offset = 0

    def array(values: npt.NDArray[Any], dtype: str) -> dict[str, Any]:
        nonlocal offset
        data = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
        arrays.append(data)
        ref = {"offset": offset, "length": len(data), "dtype": dtype, "shape": list(values.shape)}
        offset += len(data)
        return ref

    header = {
        "metadata": model.metadata,
        "blocks": [
            {"kind": b.kind, "min_n": b.min_n, "max_n": b.max_n, "terms": list(b.terms), "idf": array(b.idf, "f8")}
            for b in model.features.blocks
        ],
        "heads": [
            {
                "name": h.name,
                "classes": list(h.classes),
                "weights": array(h.weights, "f4"),
                "intercept": array(h.intercept, "f8"),
                "sigmoid_a": array(h.sigmoid_a, "f8"),
                "sigmoid_b": array(h.sigmoid_b, "f8"),
                **({"calibration": h.calibration} if h.calibration != "sigmoid" else {}),
            }
            for h in model.heads.values()
        ],
    }
    encoded = json.dumps(header, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    content = MAGIC + struct.pack("<Q", len(encoded)) + encoded + b"".join(arrays)
    path.write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def load_model(path: Path, expected_sha256: str) -> RoutingModel:
    """Reads a model after checking its SHA-256 against the one its card records."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: model file missing (run `make train-routing`)") from None
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected_sha256:
        raise ModelError(f"{path}: SHA-256 is {actual}, its card says {expected_sha256}: refusing to load it")
    if not content.startswith(MAGIC):
        raise ModelError(f"{path}: not a Suara routing model (format {MAGIC.decode().strip()} expected)")
    start = len(MAGIC) + 8
    (length,) = struct.unpack("<Q", content[len(MAGIC) : start])
    header = json.loads(content[start : start + length])
    data = memoryview(content)[start + length :]

    def array(ref: dict[str, Any]) -> npt.NDArray[Any]:
        raw = data[ref["offset"] : ref["offset"] + ref["length"]]
        values = np.frombuffer(raw, dtype=np.dtype(ref["dtype"]).newbyteorder("<"))
        return values.reshape(ref["shape"]).astype(np.dtype(ref["dtype"]))  # native byte order, own copy

    blocks = tuple(
        Block(b["kind"], b["min_n"], b["max_n"], tuple(b["terms"]), array(b["idf"])) for b in header["blocks"]
    )
    heads = {
        h["name"]: Head(
            h["name"],
            tuple(h["classes"]),
            array(h["weights"]).astype(np.float64),
            array(h["intercept"]),
            array(h["sigmoid_a"]),
            array(h["sigmoid_b"]),
            h.get("calibration", "sigmoid"),
        )
        for h in header["heads"]
    }
    return RoutingModel(Features(blocks), heads, header["metadata"])
