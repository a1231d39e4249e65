"""Per-image detections, gate results and embeddings of every model, cached once (var/facecache/*.npz).

    OMP_NUM_THREADS=1 .venv/bin/python bench/face_verify/cache.py --set eastasia [--with-512]

Each configuration of the subject choice, the padded retry and the fusion is then evaluated from the
cache (bench/face_verify/calibrate.py) instead of re-running the models. For every photo: all faces
found (normal detection, then the padded retry, recorded separately with its time), and for the four
largest faces their gate result (the endpoint's own gate code), and the flip-averaged 128-d and 192-d
embeddings (plus the 192-d without flip, and the 512-d of the largest face with --with-512).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SETS = {
    "eastasia": ROOT.parent / "shared" / "faces-eastasia-dev",
    "lfw": ROOT.parent / "shared" / "faces-dev",
}
SIDE_192 = ROOT.parent / "shared" / "models" / "alternatives" / "mobilefacenet_sirius_192d.onnx"
SIDE_512 = ROOT.parent / "shared" / "models" / "alternatives" / "faceplugin_fr_feature_512d.onnx"
MAX_FACES = 4


def _names(base: Path, pairs_file: str, max_pairs: int) -> list[str]:
    import csv

    names: set[str] = set()
    for pairs in sorted(base.glob(pairs_file)):
        for n, row in enumerate(csv.DictReader(pairs.open())):
            if max_pairs and n >= max_pairs:
                break
            names.update((row["left"], row["right"]))
    return sorted(names)


def _flip_embed(model, crop: np.ndarray, *, flip: bool = True) -> np.ndarray:  # type: ignore[no-untyped-def]
    a = model.get_feat(crop).ravel().astype(np.float32)
    a /= np.linalg.norm(a) + 1e-12
    if not flip:
        return a
    b = model.get_feat(np.ascontiguousarray(crop[:, ::-1])).ravel().astype(np.float32)
    b /= np.linalg.norm(b) + 1e-12
    v = a + b
    return v / (np.linalg.norm(v) + 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=sorted(SETS), required=True)
    parser.add_argument("--with-512", action="store_true")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--pairs", default="pairs*.csv", help="which pair lists' photos (glob)")
    parser.add_argument("--max-pairs", type=int, default=0, help="only the photos of the first N pairs of each")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from insightface.model_zoo import get_model

    from facecheck.engine import errors
    from facecheck.engine.config import EngineConfig
    from facecheck.engine.loader import PROVIDERS, _session_options
    from facecheck.engine.pipeline import FaceEngine
    from facecheck.engine.quality import FaceQuality, check_gates, photometric

    config = EngineConfig.from_settings(second_recognizer_file=None, ort_threads=1)
    engine = FaceEngine(config)
    options = _session_options(1)
    m192 = get_model(str(SIDE_192), providers=PROVIDERS, sess_options=options)
    m192.prepare(-1)
    m512 = None
    if args.with_512:
        m512 = get_model(str(SIDE_512), providers=PROVIDERS, sess_options=options)
        m512.prepare(-1)
    base = SETS[args.set]
    names = _names(base, args.pairs, args.max_pairs)[: args.limit or None]
    out: dict[str, list] = {k: [] for k in ("name", "n", "padded", "t_detect", "t_retry", "error")}
    faces: dict[str, list] = {k: [] for k in ("img", "bbox", "kps", "gate", "e128", "e192", "e192n", "e512")}
    width, height = [], []
    started = time.perf_counter()
    for i, name in enumerate(names):
        out["name"].append(name)
        try:
            image = engine.decode((base / "images" / name).read_bytes())
        except errors.FaceImageError as exc:
            for k, v in (("n", 0), ("padded", 0), ("t_detect", 0.0), ("t_retry", 0.0), ("error", exc.code)):
                out[k].append(v)
            width.append(0), height.append(0)
            continue
        bgr = image.bgr
        height.append(bgr.shape[0]), width.append(bgr.shape[1])
        t0 = time.perf_counter()
        bboxes, kpss = engine.pack.detector.detect(
            bgr, input_size=engine.detector_input_size(bgr.shape), det_thresh=config.det_thresh
        )
        t1 = time.perf_counter()
        padded = 0
        if not len(bboxes):
            detection = engine.detect(bgr)  # normal + padded retry, as served
            bboxes, kpss, padded = detection.bboxes, detection.kpss, 1
        t2 = time.perf_counter()
        out["n"].append(len(bboxes)), out["padded"].append(padded)
        out["t_detect"].append(t1 - t0), out["t_retry"].append(t2 - t1 if padded else 0.0), out["error"].append("")
        if not len(bboxes):
            continue
        areas = (bboxes[:, 2] - bboxes[:, 0]) * (bboxes[:, 3] - bboxes[:, 1])
        for rank, j in enumerate(np.argsort(-areas)[:MAX_FACES]):
            bbox, kps = bboxes[j], kpss[j]
            quality = engine.measure(bgr, bbox, kps, faces_found=len(bboxes))
            aligned = engine.align(bgr, kps)
            brightness, overexposed, sharpness = photometric(aligned)
            quality = FaceQuality(
                **{**quality.__dict__, "brightness": brightness, "overexposed": overexposed, "sharpness": sharpness}
            )
            gate = ""
            if engine._cut_off(kps, bgr.shape, quality.eye_distance):
                gate = errors.FACE_CUT_OFF
            else:
                gate = check_gates(quality, config.quality) or ""
            faces["img"].append(i), faces["bbox"].append(bbox[:5]), faces["kps"].append(kps)
            faces["gate"].append(gate)
            faces["e128"].append(engine.embed(aligned))
            faces["e192"].append(_flip_embed(m192, aligned))
            faces["e192n"].append(_flip_embed(m192, aligned, flip=False))
            faces["e512"].append(
                _flip_embed(m512, aligned) if (m512 is not None and rank == 0) else np.zeros(512, np.float32)
            )
        if (i + 1) % 200 == 0:
            print(f"{i + 1}/{len(names)} {time.perf_counter() - started:.0f}s", flush=True)
    target = ROOT / "var" / "facecache" / f"{args.set}{'_512' if args.with_512 else ''}.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        target,
        **{k: np.array(v) for k, v in out.items()},
        width=np.array(width),
        height=np.array(height),
        **{f"face_{k}": np.array(v) for k, v in faces.items()},
    )
    print(f"wrote {target} ({len(names)} images, {len(faces['img'])} faces) in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
