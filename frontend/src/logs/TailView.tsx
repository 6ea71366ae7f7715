// Live tail: the newest rows of the engine as they arrive over the websocket (sampled, last
// 500). Its buffer lives here, so a tail batch redraws only this part of the page.
import { Alert, Paper } from '@mui/material';
import { useState } from 'react';
import { useLiveConnected, useTail } from '../common/useLive';
import { LogTable } from './LogTable';
import { emptyTail, pushTail, tailKey } from './tailBuffer';

export function TailView({ engine }: { engine: string }) {
  const [tail, setTail] = useState(emptyTail);
  const connected = useLiveConnected();
  useTail(engine, (m) => setTail((b) => pushTail(b, m.columns, m.rows)));
  return (
    <>
      <Alert severity={connected ? 'info' : 'warning'} sx={{ mb: 2 }}>
        {connected ? 'Showing live rows as they arrive (sampled, newest on top, last 500).' : 'Live connection lost; reconnecting…'}
      </Alert>
      <Paper variant="outlined">
        <LogTable columns={tail.columns} rows={tail.rows} rowKeys={tail.rows.map((_, i) => tailKey(tail, i))} emptyText="Waiting for logs…" />
      </Paper>
    </>
  );
}
