import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Evidence files land in a throwaway MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
