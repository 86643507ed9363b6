// Photos are made smaller in the browser (longest side at most 1600 px, JPEG) before upload: a cheap
// phone on a slow network sends a few hundred KB instead of several MB. Re-encoding through a canvas also
// drops EXIF metadata such as the GPS position of the person's home.
export const MAX_SIDE = 1600;

export async function resizePhoto(file, maxSide = MAX_SIDE) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  return { blob, width, height };
}
