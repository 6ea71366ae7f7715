// The engine's live store rate: the only part of the browse page that redraws on every
// websocket stats message (once a second).
import { Typography } from '@mui/material';
import { formatRate } from '../common/format';
import { useLive } from '../common/useLive';

export function IngestRate({ engine }: { engine: string }) {
  const { stats } = useLive();
  const s = stats?.engines[engine];
  if (!s) return null;
  return (
    <Typography component="span" variant="body2" color="text.secondary" data-testid="ingest-rate">
      storing {formatRate(s.stored_per_s)}
    </Typography>
  );
}
