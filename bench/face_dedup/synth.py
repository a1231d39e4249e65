"""Synthetic templates with the statistics of real embeddings (bench/face_dedup/ann.py).

Random unit vectors are the pessimistic case for a partitioned index: every direction is equally
likely, so cells carry no structure. Real 128-d MobileFaceNet embeddings are not like that. This fits
a two-covariance model to the real embeddings of the East-Asian dev set (flip-averaged, normalised 128-d
embeddings of the largest face of each photo, var/facecache/eastasia.npz from bench/face_verify/cache.py;
1,576 photos of 490 people): a person is a point ``y ~ N(mean, S_between)``, a photo of them is
``normalise(y + e)``, ``e ~ N(0, S_within)``; S_within from the photos' deviations from their person's
mean, S_between from the spread of the person means (corrected for the within part, clipped to be
positive). A stored template is one photo of a person; a same-person query is another photo of the same
person. The fit is checked against the real pairs of the set (pairs.csv) and printed by the bench:
same-person and impostor cosines of the synthetic population against the real ones. A Gaussian has no
demographic clusters, which real galleries have (they would help a partitioned index).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "facecache" / "eastasia.npz"
PAIRS = ROOT.parent / "shared" / "faces-eastasia-dev" / "pairs.csv"


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


@dataclass
class Model:
    mean: np.ndarray  # (d,)
    between: np.ndarray  # (d, d) Cholesky factor of the between-person covariance
    within: np.ndarray  # (d, d) Cholesky factor of the within-person (photo to photo) covariance
    same: np.ndarray  # real same-person cosines
    impostor: np.ndarray  # real different-person cosines
    faces: int
    people: int
    random: bool = False  # True: isotropic random unit vectors (the old, pessimistic bench)

    @property
    def dim(self) -> int:
        return len(self.mean)

    def latent(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Per row: the person (first ``dim`` values) and the photo's deviation (the rest)."""
        return rng.standard_normal((n, 2 * self.dim), dtype=np.float32)

    def embed(self, z: np.ndarray) -> np.ndarray:
        d = self.dim
        if self.random:
            return _unit(z[:, :d])
        return _unit(self.mean + z[:, :d] @ self.between.T + z[:, d:] @ self.within.T)

    def chunk(self, i: int, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``i * size`` onwards of an ``n``-template gallery (latents, templates), the same on every
        call: drawn from seed ``1000 + i``, so a gallery larger than memory is regenerated chunk by chunk."""
        z = self.latent(np.random.default_rng(1000 + i), min(size, n - i * size))
        return z, self.embed(z)

    def same_person(self, rng: np.random.Generator, z: np.ndarray) -> np.ndarray:
        """Another photo of each row's person (random mode: a copy at cosine 0.55-0.85)."""
        d = self.dim
        if self.random:
            base = _unit(z[:, :d])
            noise = rng.standard_normal(base.shape, dtype=np.float32)
            noise = _unit(noise - (noise * base).sum(1, keepdims=True) * base)
            c = rng.uniform(0.55, 0.85, (len(z), 1)).astype(np.float32)
            return _unit(c * base + np.sqrt(1 - c**2) * noise)
        fresh = np.concatenate([z[:, :d], rng.standard_normal((len(z), d), dtype=np.float32)], axis=1)
        return self.embed(fresh)

    def participation_ratio(self, which: str) -> float:
        factor = self.between if which == "between" else self.within
        eig = np.linalg.eigvalsh(factor @ factor.T)
        return float(eig.sum() ** 2 / (eig**2).sum())


def fit(cache: Path = CACHE, pairs: Path = PAIRS) -> Model:
    data = np.load(cache, allow_pickle=False)
    names = [str(n) for n in data["name"]]
    img, emb = data["face_img"], data["face_e128"].astype(np.float64)
    first: dict[int, int] = {}
    for row, i in enumerate(img.tolist()):
        first.setdefault(i, row)  # faces are stored largest first
    by_name = {names[i]: _unit(emb[row]) for i, row in first.items()}
    x = np.stack(list(by_name.values())).astype(np.float64)
    people = np.array([name.split("/")[0] for name in by_name])
    labels, person = np.unique(people, return_inverse=True)
    counts = np.bincount(person)
    means = np.stack([x[person == k].mean(0) for k in range(len(labels))])
    deviations = x - means[person]
    within = deviations.T @ deviations / (len(x) - len(labels))
    mean = x.mean(0)
    several = counts >= 2
    between = np.cov(means[several] - mean, rowvar=False) - within * float(np.mean(1 / counts[several]))
    eig, vec = np.linalg.eigh(between)
    between = (vec * np.clip(eig, 1e-6, None)) @ vec.T
    same: list[float] = []
    impostor: list[float] = []
    with pairs.open() as handle:
        for pair in csv.DictReader(handle):
            a, b = by_name.get(pair["left"]), by_name.get(pair["right"])
            if a is None or b is None:
                continue
            (same if pair["same"] == "1" else impostor).append(float(a @ b))
    eye = 1e-6 * np.eye(x.shape[1])
    return Model(
        mean=mean.astype(np.float32),
        between=np.linalg.cholesky(between + eye).astype(np.float32),
        within=np.linalg.cholesky(within + eye).astype(np.float32),
        same=np.array(same, dtype=np.float32),
        impostor=np.array(impostor, dtype=np.float32),
        faces=len(x),
        people=len(labels),
    )


def isotropic(dim: int = 128) -> Model:
    eye = np.eye(dim, dtype=np.float32)
    zeros = np.zeros(1, np.float32)
    return Model(np.zeros(dim, np.float32), eye, eye, zeros, zeros, faces=0, people=0, random=True)
