/**
 * Scaling, JPEG/WebP encoding and the dHash thumbnail with sharp (libvips),
 * which does all three without copying the frame through JavaScript.
 */
import { HASH_HEIGHT, HASH_WIDTH } from '../../core/perceptual-hash.js';
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { EncodedImage, ImageEncoderPort, MonitorFrame } from './screen-capture.port.js';

export async function createSharpImageEncoder(): Promise<Probe<ImageEncoderPort>> {
  let sharp: typeof import('sharp').default;
  try {
    sharp = (await import('sharp')).default;
    // One libvips worker thread: encoding one screenshot every few minutes needs no more, and it keeps RSS low.
    sharp.concurrency(1);
    sharp.cache(false);
  } catch (error) {
    return unavailable(`sharp (libvips) cannot load: ${errorMessage(error)}`);
  }
  const input = (frame: MonitorFrame) =>
    sharp(frame.rgba, { raw: { width: frame.width, height: frame.height, channels: 4 } });
  return available({
    name: 'sharp',
    async thumbnail(frame) {
      const { data } = await input(frame)
        .resize(HASH_WIDTH + 1, HASH_HEIGHT, { fit: 'fill', kernel: 'linear' })
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      // greyscale() on RGBA input may keep an alpha channel: take every channel-th byte.
      const channels = data.length / ((HASH_WIDTH + 1) * HASH_HEIGHT);
      if (channels === 1) return new Uint8Array(data);
      return Uint8Array.from({ length: (HASH_WIDTH + 1) * HASH_HEIGHT }, (_, i) => data[i * channels]!);
    },
    async encode(frame, options): Promise<EncodedImage> {
      let pipeline = input(frame).removeAlpha();
      if (frame.width > options.maxWidth) pipeline = pipeline.resize({ width: options.maxWidth });
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
