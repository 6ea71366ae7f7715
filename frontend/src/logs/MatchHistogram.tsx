// Above the table: the number of matching rows, their histogram over time (same selection
// as the table), and zooming: drag on the bars to narrow the time range, reset to go back.
import ZoomOutMap from '@mui/icons-material/ZoomOutMap';
import { Alert, Box, Button, Paper, Stack, Typography } from '@mui/material';
import { useMemo } from 'react';
import { errorMessage } from '../api/client';
import { useHistogram } from '../api/queries';
import { HistogramChart } from './HistogramChart';
import { bucketLabel, histogramColumns, matchCountLabel, zoomRange } from './histogramData';

export interface MatchHistogramProps {
  engine: string;
  /** the /histogram query string (histogramQuery of the page's selection) */
  qs: string;
  onZoom: (range: { start: string; end: string }) => void;
  /** given when zoomed: goes back to the range before the first zoom */
  onResetZoom?: () => void;
}

export function MatchHistogram({ engine, qs, onZoom, onResetZoom }: MatchHistogramProps) {
  const h = useHistogram(engine, qs);
  const data = useMemo(() => histogramColumns(h.data), [h.data]);
  const bucketS = h.data?.bucket_s ?? 60;
  return (
    <Paper variant="outlined" sx={{ p: 2, mb: 2 }}>
      <Stack direction="row" sx={{ alignItems: 'center', gap: 2, mb: 1, flexWrap: 'wrap' }}>
        <Typography variant="subtitle1" component="p" data-testid="match-count" aria-live="polite" sx={{ fontWeight: 500 }}>
          {h.data ? matchCountLabel(h.data.total, h.data.complete) : h.isPending ? 'Counting…' : ''}
        </Typography>
        {h.data && (
          <Typography variant="body2" color="text.secondary">
            {h.data.complete ? bucketLabel(bucketS) : `${bucketLabel(bucketS)}; counting stopped after 3 s`}
          </Typography>
        )}
        <Box sx={{ flex: 1 }} />
        {onResetZoom && (
          <Button size="small" startIcon={<ZoomOutMap />} onClick={onResetZoom}>
            Reset zoom
          </Button>
        )}
      </Stack>
      {h.error ? (
        <Alert severity="warning">The histogram is not available: {errorMessage(h.error)}</Alert>
      ) : (
        <HistogramChart data={data} bucketS={bucketS} onSelect={(a, b) => onZoom(zoomRange(a, b, bucketS))} />
      )}
    </Paper>
  );
}
