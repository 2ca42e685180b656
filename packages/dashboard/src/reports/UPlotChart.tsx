/**
 * One uPlot chart (canvas, about 50 kB, draws thousands of points in a few
 * milliseconds): made when its data arrives, resized with its box, and
 * destroyed with the component.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export function UPlotChart({
  options,
  data,
  label,
  testId,
}: {
  options: Omit<uPlot.Options, 'width'>;
  data: uPlot.AlignedData;
  label: string;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement | null>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const chart = new uPlot({ ...options, width: Math.max(300, element.clientWidth) }, data, element);
    const observer = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(300, element.clientWidth), height: options.height }),
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [options, data]);
  return <div className="chart" ref={box} role="img" aria-label={label} data-testid={testId} />;
}
