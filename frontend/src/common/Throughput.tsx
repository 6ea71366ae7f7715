// The one throughput chart: per-second in / stored and every loss kind on uPlot (one
// series per kind, named in the legend), the same whether a point came from history or live.
import { Box, useTheme } from '@mui/material';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { CHART_WINDOW_S, chartColumns, SERIES_KEYS, SERIES_LABELS, type Series, type SeriesKey } from './chartData';

export function Throughput({ series, height = 260, timeZone }: { series: Series; height?: number; timeZone?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useTheme();
  const dataRef = useRef(series);
  dataRef.current = series;

  const dark = theme.palette.mode === 'dark';
  const axisColor = theme.palette.text.secondary;
  const gridColor = theme.palette.divider;
  const p = theme.palette;
  const style: Record<SeriesKey, { stroke: string; dash?: number[] }> = {
    in: { stroke: p.primary.main },
    stored: { stroke: p.success.main },
    dropped: { stroke: p.error.main },
    kernel_drops: { stroke: p.warning.main },
    rejected: { stroke: p.secondary.main, dash: [6, 3] },
    refused: { stroke: p.info.main, dash: [6, 3] },
    write_errors: { stroke: p.error.dark, dash: [2, 2] },
  };
  const styleKey = SERIES_KEYS.map((k) => style[k].stroke).join();

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
      series: [{}, ...SERIES_KEYS.map((k) => ({ label: SERIES_LABELS[k], stroke: style[k].stroke, dash: style[k].dash, width: k === 'in' || k === 'stored' ? 2 : 1.5 }))],
    };
    const u = new uPlot(opts, chartColumns(dataRef.current), el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // re-create on theme/size changes only; data flows through setData below
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [height, dark, axisColor, gridColor, timeZone, styleKey]);

  useEffect(() => {
    plot.current?.setData(chartColumns(series));
  }, [series]);

  return (
    <Box
      ref={box}
      role="img"
      aria-label="Throughput chart: logs in, stored and lost per second (dropped, kernel drops, rejected, refused, write errors), last 15 minutes"
      data-testid="throughput"
      data-points={series.t.length}
      data-last-in={series.in[series.in.length - 1] ?? 0}
      data-series={SERIES_KEYS.join(' ')}
      sx={{ width: '100%', overflow: 'hidden', '& .u-legend': { color: 'text.primary', fontSize: 13 } }}
    />
  );
}
