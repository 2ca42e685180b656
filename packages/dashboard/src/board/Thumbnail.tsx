import { useEffect, useRef, useState } from 'react';
import { seats } from '../api/client.js';
import { useI18n } from '../i18n/i18n-context.js';
import { ThumbnailQueue } from './thumbnail-queue.js';

// At most 4 thumbnails in flight, and no more than 20 started per second, whatever the board's size.
const queue = new ThumbnailQueue({
  concurrency: 4,
  minIntervalMs: 50,
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
});

const visibility = new Map<Element, (visible: boolean) => void>();
let observer: IntersectionObserver | null = null;

function observe(element: Element, onChange: (visible: boolean) => void): () => void {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) visibility.get(entry.target)?.(entry.isIntersecting);
    },
    { rootMargin: '100px' },
  );
  visibility.set(element, onChange);
  observer.observe(element);
  return () => {
    visibility.delete(element);
    observer?.unobserve(element);
  };
}

/** A seat's latest thumbnail, requested only while the tile is on screen, through the bounded queue. */
export function Thumbnail({ screenshotId }: { screenshotId: string | null }) {
  const { t } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  const [src, setSrc] = useState<string | null>(null);
  const release = useRef<(() => void) | null>(null);

  useEffect(() => (box.current ? observe(box.current, setVisible) : undefined), []);

  useEffect(() => {
    if (!visible || !screenshotId) return;
    const url = seats.thumbnailUrl(screenshotId);
    if (src === url) return;
    return queue.request(url, (done) => {
      release.current = done;
      setSrc(url);
    });
  }, [visible, screenshotId, src]);

  const finished = () => {
    release.current?.();
    release.current = null;
  };

  return (
    <div className="thumb" ref={box}>
      {src ? (
        <img src={src} alt={t('tile.thumbnailAlt')} onLoad={finished} onError={finished} decoding="async" />
      ) : (
        <span className="muted small">{screenshotId ? '' : t('tile.noScreenshot')}</span>
      )}
    </div>
  );
}
