"""Face certification: enrollment, verification, ageing templates, re-embedding, duplicate faces.

The engine (facecheck.engine) does the image work; these modules decide what is stored, what is
certified and what goes to staff:

- ``common``: engine access, how photos and embeddings are stored;
- ``enrollment``: reference photos;
- ``duplicates``: one face, one benefit identity (check at enrollment, nightly scan);
- ``verification``: a selfie, its attempt and consequences, ageing templates;
- ``reembed``: after a model change.
"""

from facecheck.services.common import face_engine
from facecheck.services.duplicates import face_duplicates_check, face_duplicates_scan
from facecheck.services.enrollment import face_template_enroll
from facecheck.services.reembed import ReembedReport, face_templates_reembed
from facecheck.services.verification import VerifyOutcome, face_verify

__all__ = [
    "ReembedReport",
    "VerifyOutcome",
    "face_duplicates_check",
    "face_duplicates_scan",
    "face_engine",
    "face_template_enroll",
    "face_templates_reembed",
    "face_verify",
]
