// Bars of matching rows per time bucket on uPlot; dragging across the bars selects a time
// range (onSelect gets its ends in wall seconds, see histogramData.ts).
import { Box, useTheme } from '@mui/material';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { AXIS_INCRS, axisLabels, xRange } from './histogramData';

export function HistogramChart({ data, bucketS, onSelect, height = 120 }: { data: [number[], number[]]; bucketS: number; onSelect: (a: number, b: number) => void; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dataRef = useRef(data);
  dataRef.current = data;
  const selectRef = useRef(onSelect);
  useEffect(() => {
    selectRef.current = onSelect;
  });
  const theme = useTheme();
  const bar = theme.palette.primary.main;
  const axisColor = theme.palette.text.secondary;
  const gridColor = theme.palette.divider;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      // x values are wall-clock seconds of the engine's timezone, read as UTC (see axisLabels)
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      scales: {
        x: { time: true, range: () => xRange(dataRef.current[0], bucketS) },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] },
      },
      axes: [{ ...axis, incrs: AXIS_INCRS, size: 48, values: (_u, splits, _ax, _space, incr) => axisLabels(splits, incr) }, { ...axis, size: 56 }],
      series: [{}, { label: 'rows', fill: bar, stroke: bar, width: 0, points: { show: false }, paths: uPlot.paths.bars?.({ align: 1, size: [1, Infinity], gap: 1 }) }],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            const a = u.posToVal(u.select.left, 'x');
            const b = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            selectRef.current(a, b);
          },
        ],
      },
    };
    const u = new uPlot(opts, dataRef.current, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [height, bucketS, bar, axisColor, gridColor]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <Box
      ref={box}
      role="img"
      aria-label="Matching rows over time; drag across the bars to zoom into that time range"
      data-testid="histogram"
      data-buckets={data[0].length}
      sx={{ width: '100%', overflow: 'hidden', cursor: 'crosshair' }}
    />
  );
}
