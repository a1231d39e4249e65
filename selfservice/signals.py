"""Effects of the certification core that apps above it register for (never imported downward).

``certification_recorded`` is sent inside the transaction that recorded the certification, with
the locked pensioner, so a receiver's writes (the resumption case of a suspended person) commit
or roll back with it.
"""

from __future__ import annotations

from django.dispatch import Signal

#: kwargs: ``pensioner`` (locked, current), ``certification``
certification_recorded = Signal()

#: The bulk path (``certification_record_bulk``, active people only): kwargs ``certifications``
#: (the new ``Certification`` rows, saved). Sent inside the transaction, once per chunk.
certifications_recorded_bulk = Signal()
