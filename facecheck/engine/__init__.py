"""Face engine: decoding, detection, quality gates, alignment, embedding, matching and 1:N search.

Pure Python over insightface + onnxruntime; no ORM access, so the evaluation command, the
benchmarks and the Django services all run exactly the same pipeline.
"""
