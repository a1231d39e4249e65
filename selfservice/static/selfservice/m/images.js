// Photos from the phone camera are often 4000 px and 3-6 MB: too slow on a village connection and
// more than the server uses. They are scaled down here, once, and the resulting bytes are kept so a
// retry sends exactly the same file (the face API recognises a retry by its bytes).

async function decode(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return null; // e.g. HEIC on a browser that cannot draw it
  }
}

function toJpeg(bitmap, scale) {
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
}

// Returns a Blob no larger than maxSide on its long side, or null when the picture cannot be read.
// keepUndecodable: hand over the original file when this browser cannot decode it (the face API
// reads HEIC itself); evidence needs JPEG or PNG, so it passes false.
export async function preparePhoto(file, maxSide, { keepUndecodable = false } = {}) {
  const bitmap = await decode(file);
  if (!bitmap) return keepUndecodable ? file : null;
  const long = Math.max(bitmap.width, bitmap.height);
  const plain = file.type === "image/jpeg" || file.type === "image/png";
  if (long <= maxSide && plain) {
    bitmap.close();
    return file; // already small: the original bytes, no second compression
  }
  const blob = await toJpeg(bitmap, Math.min(1, maxSide / long));
  bitmap.close();
  return blob;
}
