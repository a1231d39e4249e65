"""The real pipeline (real models, real photos): genuine matches, impostors, and each refusal's code."""

from __future__ import annotations

import itertools
import threading

import cv2
import numpy as np
import pytest

from facecheck.engine import errors, matching
from facecheck.engine.loader import get_engine

from .images import LFW, encode, insightface_image, load_rgb, paste, png_bomb

pytestmark = pytest.mark.slow

POWELL = LFW / "images" / "Colin_Powell"


@pytest.fixture(scope="module")
def powell(engine, lfw):  # type: ignore[no-untyped-def]
    return load_rgb(POWELL / "Colin_Powell_0001.jpg")


@pytest.fixture(scope="module")
def powell_template(engine, powell):  # type: ignore[no-untyped-def]
    return engine.analyze_bytes(encode(powell, "JPEG", quality=95))


def _code(engine, data: bytes) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.FaceImageError) as info:
        engine.analyze_bytes(data)
    return info.value.code


# -- genuine ----------------------------------------------------------------------------------------
TRANSFORMS = {
    "mirrored": lambda im: im[:, ::-1],
    "cropped": lambda im: im[30:230, 20:220],
    "brighter": lambda im: np.clip(im.astype(np.float32) * 1.35, 0, 255).astype(np.uint8),
    "darker": lambda im: (im.astype(np.float32) * 0.55).astype(np.uint8),
    "upscaled": lambda im: cv2.resize(im, (600, 600), interpolation=cv2.INTER_CUBIC),
    "rotated": lambda im: cv2.warpAffine(im, cv2.getRotationMatrix2D((125, 125), 12, 1.0), (250, 250)),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_same_photo_altered_is_accepted(engine, powell, powell_template, name):
    variant = np.ascontiguousarray(TRANSFORMS[name](powell))
    probe = engine.analyze_bytes(encode(variant, "PNG"))
    decision = matching.decide(engine.score(probe, powell_template), engine.thresholds())
    # An altered copy of the reference is a replay: never an automatic accept, but clearly the same face.
    assert probe.embedding @ powell_template.embedding >= engine.thresholds()["accept"]
    assert decision.outcome in (matching.ACCEPT, matching.REVIEW)


def test_another_photo_of_the_same_person_is_accepted(engine, powell_template):
    probe = engine.analyze_bytes((POWELL / "Colin_Powell_0040.jpg").read_bytes())
    decision = matching.decide(engine.score(probe, powell_template), engine.thresholds())
    assert decision.outcome == matching.ACCEPT


def test_resubmitted_reference_photo_is_flagged_not_accepted(engine, powell, powell_template):
    probe = engine.analyze_bytes(encode(powell, "JPEG", quality=70))
    decision = matching.decide(engine.score(probe, powell_template), engine.thresholds())
    assert decision.outcome == matching.REVIEW
    assert decision.reason == "implausibly_similar"


# -- impostors --------------------------------------------------------------------------------------
def test_different_people_in_the_group_photo_are_rejected(engine):
    bgr = cv2.imread(str(insightface_image("t1.jpg")))
    detection = engine.detect(bgr)
    assert len(detection.bboxes) == 6
    faces = [engine.embed(engine.align(bgr, kps)) for kps in detection.kpss]
    thresholds = engine.thresholds()
    outcomes = {
        matching.decide(matching.Score(float(a @ b), float(a @ b)), thresholds).outcome
        for a, b in itertools.combinations(faces, 2)
    }
    assert outcomes == {matching.REJECT}


def test_a_different_person_is_not_accepted(engine, powell_template, lfw):
    other = next((lfw / "Aaron_Sorkin").glob("*.jpg"))
    probe = engine.analyze_bytes(other.read_bytes())
    assert matching.decide(engine.score(probe, powell_template), engine.thresholds()).outcome == matching.REJECT


# -- refusals, each with its own code ---------------------------------------------------------------
def test_not_an_image(engine):
    assert _code(engine, b"GIF89a? no, just text pretending\n" * 10) == errors.IMAGE_INVALID


def test_truncated_file(engine, powell):
    data = encode(powell, "JPEG", quality=95)
    assert _code(engine, data[: len(data) // 3]) == errors.IMAGE_TRUNCATED


def test_empty_file(engine):
    assert _code(engine, b"") == errors.IMAGE_EMPTY


def test_huge_png(engine):
    assert _code(engine, png_bomb(20_000, 20_000)) == errors.IMAGE_TOO_MANY_PIXELS


def test_no_face(engine):
    gradient = np.tile(np.linspace(0, 255, 640, dtype=np.uint8)[None, :, None], (480, 1, 3))
    assert _code(engine, encode(gradient)) == errors.FACE_NOT_FOUND


def test_two_faces_that_could_each_be_the_subject(engine, powell):
    """Same size, equally central: nobody can tell who is being certified."""
    twin = np.ascontiguousarray(powell[:, ::-1])
    assert _code(engine, encode(np.hstack([powell, twin]))) == errors.FACE_MULTIPLE


def test_group_photo(engine):
    assert _code(engine, insightface_image("t1.jpg").read_bytes()) == errors.FACE_MULTIPLE


def test_tiny_face(engine, powell):
    small = cv2.resize(powell, (60, 60), interpolation=cv2.INTER_AREA)
    assert _code(engine, encode(paste((640, 480), small, (300, 200)))) == errors.FACE_TOO_SMALL


def test_dark_photo(engine, powell):
    assert _code(engine, encode((powell * 0.2).astype(np.uint8))) == errors.FACE_TOO_DARK


def test_overexposed_photo(engine, powell):
    washed = np.clip(powell.astype(np.float32) * 2.5 + 60, 0, 255).astype(np.uint8)
    assert _code(engine, encode(washed)) == errors.FACE_TOO_BRIGHT


def test_blurred_photo(engine, powell):
    assert _code(engine, encode(cv2.GaussianBlur(powell, (0, 0), 3.0))) == errors.FACE_BLURRED


def test_head_turned_away(engine, eastasia):
    profile = eastasia / "cn_caofujia" / "cn_caofujia_04.jpg"  # a face in full profile
    assert _code(engine, profile.read_bytes()) == errors.FACE_POSE


def test_a_small_face_in_the_background_is_tolerated(engine, powell):
    canvas = paste((640, 480), cv2.resize(powell, (300, 300)), (40, 90))
    canvas[20:80, 500:560] = cv2.resize(powell, (60, 60), interpolation=cv2.INTER_AREA)
    result = engine.analyze_bytes(encode(canvas))
    assert result.quality.faces_found == 2  # seen, but far smaller than the subject's face


# -- model facts ------------------------------------------------------------------------------------
def test_embedding_size_is_read_from_the_model(engine, powell_template):
    session_dim = engine.pack.recognizer.session.get_outputs()[0].shape[-1]
    assert engine.embedding_dim == session_dim == powell_template.embedding.shape[0]
    assert np.linalg.norm(powell_template.embedding) == pytest.approx(1.0, abs=1e-5)


def test_model_id_is_name_and_content_hash(engine, powell_template):
    name, digest = engine.model_id.split("@")
    assert name == engine.pack.recognizer_file.path.stem
    assert engine.pack.recognizer_file.sha256.startswith(digest) and len(digest) == 16
    assert powell_template.model_id == engine.model_id


def test_engine_is_loaded_once_for_all_threads(engine):
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(get_engine())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert {id(e) for e in seen} == {id(get_engine())}


def test_concurrent_requests_give_the_same_embeddings(engine, powell):
    data = encode(powell, "PNG")
    expected = engine.analyze_bytes(data).embedding
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(engine.analyze_bytes(data).embedding)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(np.allclose(r, expected, atol=1e-5) for r in results)


# -- speed-minded details that must not change what the models see ----------------------------------
@pytest.mark.parametrize(
    ("height", "width", "expected"),
    [
        (480, 640, (640, 480)),  # landscape 4:3: no letterbox padding
        (640, 480, (480, 640)),  # portrait selfie
        (500, 500, (640, 640)),
        (300, 1000, (640, 192)),  # 192 = 300 * 0.64 rounded up to the stride
        (1000, 10, (32, 640)),  # never below one stride
    ],
)
def test_detector_input_keeps_the_photo_scale_without_square_padding(engine, height, width, expected):
    assert engine.detector_input_size((height, width, 3)) == expected


def test_detection_on_the_unpadded_input_matches_the_square_input(engine, powell):
    canvas = paste((640, 480), cv2.resize(powell, (420, 420)), (110, 30))
    bgr = cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR)
    _boxes, square = engine.pack.detector.detect(bgr, input_size=(640, 640), det_thresh=0.5)
    detection = engine.detect(bgr)
    assert len(detection.kpss) == len(square) == 1
    assert np.abs(detection.kpss[0] - square[0]).max() < 2.0  # pixels, on a face 420 px wide


@pytest.mark.parametrize("factor", [4, 5])
def test_a_large_face_is_aligned_like_the_same_face_at_normal_size(engine, powell, factor):
    """The shrink before the warp keeps landmarks on their pixels: an upscaled copy aligns like the original.

    (Landmark scaling without OpenCV's half-pixel centre rule shifts the crop: mean difference 0.96-1.14.)
    """
    kps = engine.detect(cv2.cvtColor(powell, cv2.COLOR_RGB2BGR)).kpss[0].astype(np.float64)
    assert np.linalg.norm(kps[1] - kps[0]) * factor > 2 * 35.2  # the copy takes the shrink path
    large = cv2.resize(powell, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    original = engine.align(powell, kps).astype(np.int16)
    aligned = engine.align(large, kps * factor + (factor - 1) / 2).astype(np.int16)
    assert np.abs(original - aligned).mean() < 0.75


def test_onnxruntime_pool_threads_do_not_spin(engine):
    """Spinning threads of one session starved the next one on two cores (docs/benchmarks.md, "Face")."""
    for model in (engine.pack.detector, engine.pack.recognizer):
        options = model.session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_a_smaller_face_at_the_edge_does_not_hide_the_subject(engine, powell, lfw):
    """A relative beside the pensioner: the central, larger face is taken (it was refused before)."""
    other = cv2.resize(load_rgb(next((lfw / "Aaron_Sorkin").glob("*.jpg"))), (190, 190), interpolation=cv2.INTER_AREA)
    canvas = paste((750, 500), powell, (250, 125))
    canvas[0:190, 0:190] = other
    face = engine.analyze_bytes(encode(canvas))
    reference = engine.analyze_bytes(encode(powell))
    assert face.quality.faces_found == 2
    assert float(face.embedding @ reference.embedding) > 0.9
