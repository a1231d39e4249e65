"""Model pack loading, installation and the health check: clear errors, never a download."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from facecheck.engine import matching
from facecheck.engine.config import EngineConfig
from facecheck.engine.loader import FaceModelConfigError, ModelFile, ModelPack

from .images import SHARED

DEV_PACK = SHARED / "models" / "face_pack_dev"
DETECTOR = DEV_PACK / "det_500m.onnx"
RECOGNIZER = DEV_PACK / "mobilefacenet_ms1m_128d.onnx"


@pytest.fixture
def dev_pack() -> Path:
    if not DETECTOR.is_file() or not RECOGNIZER.is_file():
        pytest.skip(f"development face pack not available at {DEV_PACK}")
    return DEV_PACK


def _pack(directory: Path, *files: Path) -> Path:
    directory.mkdir(parents=True)
    for path in files:
        shutil.copy(path, directory / path.name)
    return directory


def test_missing_directory_names_the_setting_and_the_install_command(tmp_path):
    with pytest.raises(
        FaceModelConfigError, match=r"FACECHECK_MODEL_DIR .*nope does not exist.*facecheck_install_pack"
    ):
        ModelPack(EngineConfig(model_dir=tmp_path / "nope"))


def test_empty_directory_says_which_files_are_expected(tmp_path):
    (tmp_path / "pack").mkdir()
    with pytest.raises(FaceModelConfigError, match=r"holds no \*\.onnx files"):
        ModelPack(EngineConfig(model_dir=tmp_path / "pack"))


def test_pack_without_detector_is_refused(tmp_path, dev_pack):
    pack = _pack(tmp_path / "pack", RECOGNIZER)
    with pytest.raises(FaceModelConfigError, match=r"No SCRFD detection model.*mobilefacenet_ms1m_128d.onnx"):
        ModelPack(EngineConfig(model_dir=pack))


def test_pack_without_recogniser_is_refused(tmp_path, dev_pack):
    pack = _pack(tmp_path / "pack", DETECTOR)
    with pytest.raises(FaceModelConfigError, match=r"No recognition model.*det_500m.onnx"):
        ModelPack(EngineConfig(model_dir=pack))


def test_insightface_standard_layout_works_unchanged(tmp_path, dev_pack):
    """~/.insightface/models/<pack>/ as insightface lays it out; loaded without any download attempt."""
    pack = _pack(tmp_path / ".insightface" / "models" / "buffalo_sc", DETECTOR, RECOGNIZER)
    loaded = ModelPack(EngineConfig(model_dir=pack))
    assert loaded.model_id.startswith("mobilefacenet_ms1m_128d@b7120c095d60094f")
    assert loaded.embedding_dim == 128
    assert loaded.detector_file.path.name == "det_500m.onnx"


def test_missing_optional_second_recogniser_is_named(tmp_path, dev_pack):
    with pytest.raises(FaceModelConfigError, match=r"FACECHECK_SECOND_RECOGNIZER_FILE .*absent.onnx"):
        ModelPack(EngineConfig(model_dir=dev_pack, second_recognizer_file=tmp_path / "absent.onnx"))


def test_uncalibrated_model_has_no_thresholds():
    model = ModelFile(Path("w600k_mbf.onnx"), "9cc6e4a75f0e2bf0" + "0" * 48)
    with pytest.raises(FaceModelConfigError, match=r"No FACECHECK_THRESHOLDS entry for w600k_mbf@9cc6e4a75f0e2bf0"):
        matching.thresholds_for({"mobilefacenet_ms1m_128d": {"accept": 0.5}}, model)


def test_thresholds_found_by_name_and_checked_for_order():
    model = ModelFile(Path("m.onnx"), "a" * 64)
    good = {"accept": 0.5, "reject": 0.4, "replay": 0.95, "duplicate": 0.7}
    assert matching.thresholds_for({"m": good}, model)["accept"] == 0.5
    with pytest.raises(FaceModelConfigError, match=r"reject <= accept < replay"):
        matching.thresholds_for({"m": {**good, "reject": 0.6}}, model)


def test_fused_thresholds_are_keyed_by_both_models():
    primary, second = ModelFile(Path("a.onnx"), "a" * 64), ModelFile(Path("b.onnx"), "b" * 64)
    entry = {"accept": 0.5, "reject": 0.4, "replay": 0.95, "duplicate": 0.7}
    table = {"a": {**entry, "accept": 0.45}, "a+b": entry}
    assert matching.thresholds_for(table, primary, second)["accept"] == 0.5
    assert matching.thresholds_for(table, primary)["accept"] == 0.45


def test_fusion_thresholds_are_keyed_primary_plus_fusion_and_need_z_statistics():
    primary, fusion = ModelFile(Path("a.onnx"), "a" * 64), ModelFile(Path("c.onnx"), "c" * 64)
    entry = {"accept": 0.5, "reject": 0.4, "replay": 0.95, "duplicate": 0.7}
    z = {"z_primary_mean": 0.0, "z_primary_sd": 0.1, "z_fusion_mean": 0.0, "z_fusion_sd": 0.1}
    assert matching.thresholds_for({"a+c": {**entry, **z}}, primary, fusion=fusion)["z_fusion_sd"] == 0.1
    with pytest.raises(FaceModelConfigError, match="z_primary_mean"):
        matching.thresholds_for({"a+c": entry}, primary, fusion=fusion)


# -- commands ---------------------------------------------------------------------------------------
def test_install_pack_copies_verifies_and_records_checksums(tmp_path, dev_pack, capsys):
    dest = tmp_path / "models" / "dev"
    call_command("facecheck_install_pack", str(dev_pack), dest=str(dest))
    assert sorted(p.name for p in dest.glob("*.onnx")) == ["det_500m.onnx", "mobilefacenet_ms1m_128d.onnx"]
    sums = (dest / "SHA256SUMS").read_text()
    assert "5e4447f50245bbd7966bd6c0fa52938c61474a04ec7def48753668a9d8b4ea3a  det_500m.onnx" in sums
    assert ModelPack(EngineConfig(model_dir=dest)).embedding_dim == 128


def test_install_pack_from_a_zip_like_insightface_releases(tmp_path, dev_pack):
    archive = tmp_path / "buffalo_dev.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(DETECTOR, "buffalo_dev/det_500m.onnx")
        handle.write(RECOGNIZER, "buffalo_dev/mobilefacenet_ms1m_128d.onnx")
    dest = tmp_path / "installed"
    call_command("facecheck_install_pack", str(archive), dest=str(dest))
    assert (dest / "det_500m.onnx").is_file()


def test_install_pack_refuses_to_overwrite_without_force(tmp_path, dev_pack):
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(CommandError, match=r"already exists"):
        call_command("facecheck_install_pack", str(dev_pack), dest=str(dest))


def test_install_pack_refuses_a_broken_model_file(tmp_path, dev_pack):
    source = _pack(tmp_path / "src", DETECTOR)
    (source / "w600k_mbf.onnx").write_bytes(b"<html>404 not found</html>")
    with pytest.raises(CommandError, match=r"w600k_mbf.onnx cannot be loaded"):
        call_command("facecheck_install_pack", str(source), dest=str(tmp_path / "dest"))
    assert not (tmp_path / "dest").exists()


def test_install_pack_refuses_a_pack_without_recogniser(tmp_path, dev_pack):
    source = _pack(tmp_path / "src", DETECTOR)
    with pytest.raises(CommandError, match=r"no recognition model"):
        call_command("facecheck_install_pack", str(source), dest=str(tmp_path / "dest"))


def test_health_check_reports_the_model(settings, dev_pack, capsys):
    call_command("facecheck_check")
    out = capsys.readouterr().out
    assert "mobilefacenet_ms1m_128d@b7120c095d60094f" in out and "face models OK" in out


def test_health_check_fails_clearly_when_models_are_missing(settings, tmp_path):
    settings.FACECHECK_MODEL_DIR = tmp_path / "not-installed"
    with pytest.raises(CommandError, match=r"face models unusable: FACECHECK_MODEL_DIR .*not-installed does not exist"):
        call_command("facecheck_check")
