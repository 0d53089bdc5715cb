"""The learned re-ranker: features of a (query, claim) pair -> calibrated match probability.

A logistic regression over standardised features (a handful of weights, stored as JSON: no pickle)
followed by isotonic calibration (a monotone step function fitted on held-out pairs), so the score
is a probability in [0, 1]. The model file holds one such model per path (``hybrid`` with semantic
features, ``lexical`` without), each with its feature names, so old files fail loudly, not silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]

FEATURES_HYBRID = [
    "bm25_norm",
    "bm25_rank",
    "bm25_log",
    "cos",
    "cos_rank",
    "cos_gap",
    "jac",
    "cont",
    "py_jac",
    "exact",
    "kw_hits",
    "kw_cov",
    "len_ratio",
    "short",
    "cos_x_bm25",
    "cos_sq",
    "cos_first",
    "cos_mean",
    "tok_cov",
    "tok_qcov",
]
FEATURES_LEXICAL = [f for f in FEATURES_HYBRID if not f.startswith("cos")]


@dataclass
class ScoringModel:
    """One logistic model plus its isotonic calibration."""

    features: list[str]
    mean: F32
    scale: F32
    coef: F32
    intercept: float
    iso_x: F32
    iso_y: F32

    def raw(self, x: F32) -> F32:
        """Uncalibrated decision values (log-odds) for rows of ``x`` (columns = ``features``).

        Summed in float64, so a row's value does not depend on how many rows are scored with
        it (BLAS blocks a float32 product differently by shape, and the calibration's steep
        steps would turn that last-bit difference into a visible one)."""
        z = ((x - self.mean) / self.scale).astype(np.float64)
        out: F32 = (z @ self.coef.astype(np.float64) + self.intercept).astype(np.float32)
        return out

    def score(self, x: F32) -> F32:
        """Calibrated probabilities in [0, 1]."""
        return self.calibrate(self.raw(x))

    def calibrate(self, raw: F32) -> F32:
        """Decision values -> probabilities (isotonic; logistic if no calibration is stored)."""
        if self.iso_x.size == 0:
            return (1.0 / (1.0 + np.exp(-raw))).astype(np.float32)
        out: F32 = np.clip(np.interp(raw, self.iso_x, self.iso_y), 0.0, 1.0).astype(np.float32)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "features": self.features,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "calibration": {"x": self.iso_x.tolist(), "y": self.iso_y.tolist()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoringModel:
        """Inverse of ``to_dict``."""

        def arr(v: Any) -> F32:
            return np.asarray(v, dtype=np.float32)

        return cls(
            features=list(data["features"]),
            mean=arr(data["mean"]),
            scale=arr(data["scale"]),
            coef=arr(data["coef"]),
            intercept=float(data["intercept"]),
            iso_x=arr(data["calibration"]["x"]),
            iso_y=arr(data["calibration"]["y"]),
        )


@dataclass
class Reranker:
    """The models for the hybrid and lexical-only paths."""

    hybrid: ScoringModel
    lexical: ScoringModel
    meta: dict[str, Any]

    def model(self, semantic: bool) -> ScoringModel:
        """The model for a path."""
        return self.hybrid if semantic else self.lexical

    def save(self, path: Path) -> None:
        """Write the JSON model file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "format": "rumordesk-reranker/1",
                    "meta": self.meta,
                    "hybrid": self.hybrid.to_dict(),
                    "lexical": self.lexical.to_dict(),
                },
                indent=1,
            )
        )

    @classmethod
    def load(cls, path: Path | None = None) -> Reranker:
        """Read a model file; by default the one shipped in the package."""
        if path is None:
            text = (
                resources.files("rumordesk.matching")
                .joinpath("models/reranker.json")
                .read_text(encoding="utf-8")
            )
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
        if data.get("format") != "rumordesk-reranker/1":
            raise ValueError(f"not a rumordesk re-ranker model: {path}")
        hybrid = ScoringModel.from_dict(data["hybrid"])
        lexical = ScoringModel.from_dict(data["lexical"])
        if hybrid.features != FEATURES_HYBRID or lexical.features != FEATURES_LEXICAL:
            raise ValueError("re-ranker model features differ from this version; retrain it")
        return cls(hybrid=hybrid, lexical=lexical, meta=dict(data.get("meta") or {}))
