/** Raw pixels: a captured monitor (RGBA) or its scaled copy (RGB). */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  /** width × height × channels bytes. */
  readonly pixels: Uint8Array;
}

export interface MonitorFrame extends RawImage {
  readonly monitor: number;
}

export interface ScreenCapturePort {
  readonly name: string;
  /**
   * Every monitor in a stable order (primary first), one at a time: a frame
   * is only captured when the previous one has been processed, so a seat
   * with three 4K screens never holds three raw frames at once.
   */
  captureEach(): AsyncIterable<MonitorFrame>;
}

export interface EncodedImage {
  readonly bytes: Uint8Array;
  readonly mime: 'image/jpeg' | 'image/webp';
  readonly width: number;
  readonly height: number;
}

/** Scaling, encoding and the perceptual-hash thumbnail. */
export interface ImageEncoderPort {
  readonly name: string;
  /** The frame scaled down to at most `maxWidth` (RGB); hashing and encoding both start from it. */
  scale(frame: RawImage, maxWidth: number): Promise<RawImage>;
  /** (HASH_WIDTH + 1) × HASH_HEIGHT greyscale pixels for the dHash. */
  thumbnail(image: RawImage): Promise<Uint8Array>;
  encode(image: RawImage, options: { format: 'jpeg' | 'webp'; quality: number }): Promise<EncodedImage>;
}
