/** One frame per monitor, raw RGBA, as the OS gave it. */
export interface MonitorFrame {
  readonly monitor: number;
  readonly width: number;
  readonly height: number;
  /** width × height × 4 bytes, RGBA. */
  readonly rgba: Uint8Array;
}

export interface ScreenCapturePort {
  readonly name: string;
  /** Every monitor, in a stable order (primary first). */
  captureAll(): Promise<MonitorFrame[]>;
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
  /** (HASH_WIDTH + 1) × HASH_HEIGHT greyscale pixels for the dHash. */
  thumbnail(frame: MonitorFrame): Promise<Uint8Array>;
  encode(
    frame: MonitorFrame,
    options: { maxWidth: number; format: 'jpeg' | 'webp'; quality: number },
  ): Promise<EncodedImage>;
}
