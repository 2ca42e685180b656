/**
 * Scaling, JPEG/WebP encoding and the dHash thumbnail with sharp (libvips).
 * The full frame is scaled once; the thumbnail and the encoding both start
 * from the scaled copy, which is about half the pixels of a 1920×1080 frame.
 */
import { HASH_HEIGHT, HASH_WIDTH } from '../../core/perceptual-hash.js';
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { EncodedImage, ImageEncoderPort, RawImage } from './screen-capture.port.js';

export async function createSharpImageEncoder(): Promise<Probe<ImageEncoderPort>> {
  let sharp: typeof import('sharp').default;
  try {
    sharp = (await import('sharp')).default;
    // One libvips worker thread and no operation cache: a screenshot every few minutes needs no more, and RSS stays low.
    sharp.concurrency(1);
    sharp.cache(false);
  } catch (error) {
    return unavailable(`sharp (libvips) cannot load: ${errorMessage(error)}`);
  }
  const input = (image: RawImage) =>
    sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: image.channels } });
  return available({
    name: 'sharp',
    async scale(frame, maxWidth) {
      let pipeline = input(frame).removeAlpha();
      if (frame.width > maxWidth) pipeline = pipeline.resize({ width: maxWidth, kernel: 'linear' });
      const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
      return {
        width: info.width,
        height: info.height,
        channels: 3,
        pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      };
    },
    async thumbnail(image) {
      const { data } = await input(image)
        .resize(HASH_WIDTH + 1, HASH_HEIGHT, { fit: 'fill', kernel: 'linear' })
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      // greyscale() may keep an alpha channel on RGBA input: take the first byte of each pixel.
      const channels = data.length / ((HASH_WIDTH + 1) * HASH_HEIGHT);
      if (channels === 1) return new Uint8Array(data);
      return Uint8Array.from({ length: (HASH_WIDTH + 1) * HASH_HEIGHT }, (_, i) => data[i * channels]!);
    },
    async encode(image, options): Promise<EncodedImage> {
      const pipeline = input(image);
      const encoded =
        options.format === 'webp'
          ? pipeline.webp({ quality: options.quality, effort: 2 })
          : pipeline.jpeg({ quality: options.quality, mozjpeg: false });
      const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
      return {
        bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        mime: options.format === 'webp' ? 'image/webp' : 'image/jpeg',
        width: info.width,
        height: info.height,
      };
    },
  });
}
