// The one throughput chart: per-second in / stored / dropped on uPlot.
import { Box, useTheme } from '@mui/material';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { CHART_WINDOW_S, type Series } from './chartData';

export function Throughput({ series, height = 260, timeZone }: { series: Series; height?: number; timeZone?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useTheme();
  const dataRef = useRef(series);
  dataRef.current = series;

  const dark = theme.palette.mode === 'dark';
  const axisColor = theme.palette.text.secondary;
  const gridColor = theme.palette.divider;
  const colors = { in: theme.palette.primary.main, stored: theme.palette.success.main, dropped: theme.palette.error.main };

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      tzDate: timeZone ? (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone) : undefined,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: (_u, _min, max) => [max - CHART_WINDOW_S, max] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [axis, { ...axis, size: 56 }],
      series: [
        {},
        { label: 'in/s', stroke: colors.in, width: 2 },
        { label: 'stored/s', stroke: colors.stored, width: 2 },
        { label: 'dropped/s', stroke: colors.dropped, width: 2 },
      ],
    };
    const s = dataRef.current;
    const p = new uPlot(opts, [s.t, s.in, s.stored, s.dropped], el);
    plot.current = p;
    const ro = new ResizeObserver(() => p.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      p.destroy();
      plot.current = null;
    };
    // re-create on theme/size changes only; data flows through setData below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [height, dark, axisColor, gridColor, timeZone]);

  useEffect(() => {
    plot.current?.setData([series.t, series.in, series.stored, series.dropped]);
  }, [series]);

  return (
    <Box
      ref={box}
      role="img"
      aria-label="Throughput chart: logs in, stored and dropped per second, last 15 minutes"
      data-testid="throughput"
      data-points={series.t.length}
      data-last-in={series.in[series.in.length - 1] ?? 0}
      sx={{ width: '100%', overflow: 'hidden', '& .u-legend': { color: 'text.primary', fontSize: 13 } }}
    />
  );
}
