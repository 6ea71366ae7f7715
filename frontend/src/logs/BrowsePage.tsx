// Browse one engine's stored logs: day, global search, per-column filters, time range,
// cursor paging, live tail and a CSV download of exactly what is filtered.
import Download from '@mui/icons-material/Download';
import NavigateBefore from '@mui/icons-material/NavigateBefore';
import NavigateNext from '@mui/icons-material/NavigateNext';
import {
  Alert,
  Box,
  Button,
  FormControlLabel,
  LinearProgress,
  MenuItem,
  Paper,
  Stack,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useMemo, useState } from 'react';
import { Link as RouterLink, useParams, useSearchParams } from 'react-router-dom';
import { useDays, useEngine, useLogs } from '../api/queries';
import { formatBytes, formatCount } from '../common/format';
import { ErrorState, Loading, PageHeader, ScrollBox } from '../common/ui';
import { useDebounced } from '../common/useDebounced';
import { useLive } from '../common/useLive';
import { canPrevious, current, firstPage, next, pageNote, pageNumber, previous, type CursorStack } from './cursorStack';
import { exportUrl, logsQuery, type LogFilters } from './query';
import { pushTail, type TailBuffer } from './tailBuffer';

const LIMITS = [50, 100, 200, 500];

function Cell({ v }: { v: string | null }) {
  if (v === null) return <Typography component="span" variant="body2" color="text.disabled">—</Typography>;
  return <>{v}</>;
}

/** clientFilter pre-fills the client column filter from ?client= (links from the clients card). */
function clientFilter(client: string | null): Record<string, string> {
  const f: Record<string, string> = {};
  if (client) f.client = client;
  return f;
}

export default function BrowsePage() {
  const { name = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const engine = useEngine(name);
  const days = useDays(name);
  const date = params.get('date') ?? '';
  const [q, setQ] = useState(params.get('q') ?? '');
  const [filters, setFilters] = useState<Record<string, string>>(() => clientFilter(params.get('client')));
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [limit, setLimit] = useState(100);
  const [tailOn, setTailOn] = useState(false);
  const [tail, setTail] = useState<TailBuffer>({ columns: [], rows: [] });

  const form: LogFilters = useMemo(() => ({ date, q, filters, from, to }), [date, q, filters, from, to]);
  const applied = useDebounced(form, 350);
  const appliedKey = JSON.stringify(applied);
  const [stack, setStack] = useState<{ key: string; s: CursorStack }>({ key: appliedKey, s: firstPage });
  const cursors = stack.key === appliedKey ? stack.s : firstPage;
  const setCursors = (s: CursorStack) => setStack({ key: appliedKey, s });

  const qs = logsQuery(applied, { limit, cursor: current(cursors) });
  const logs = useLogs(name, qs, !tailOn);
  const { connected } = useLive({
    tail: tailOn ? name : null,
    onTail: (m) => setTail((b) => pushTail(b, m.columns, m.rows)),
  });

  const setDate = (d: string) => {
    const p = new URLSearchParams(params);
    if (d) p.set('date', d);
    else p.delete('date');
    setParams(p, { replace: true });
  };

  const columns = tailOn ? tail.columns : logs.data?.columns ?? [];
  const rows = tailOn ? tail.rows : logs.data?.rows ?? [];
  const filterable = (logs.data?.columns ?? []).filter((c) => c !== 'id');
  const tz = engine.data?.timezone;
  const activeFilters = Object.values(filters).some((v) => v.trim()) || !!q.trim() || !!from || !!to;

  return (
    <>
      <PageHeader
        title={`Logs of ${name}`}
        subtitle={tz ? `Times in ${tz}` : undefined}
        actions={
          <>
            <Button component={RouterLink} to={`/engines/${encodeURIComponent(name)}`} variant="outlined">
              Engine
            </Button>
            <Button component="a" href={exportUrl(name, applied)} download startIcon={<Download />} variant="contained">
              Download CSV
            </Button>
          </>
        }
      />
      <Paper variant="outlined" sx={{ p: 2, mb: 2 }}>
        <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 2, alignItems: 'center' }}>
          <TextField
            select
            label="Day"
            value={date}
            onChange={(e) => setDate(e.target.value)}
            sx={{ minWidth: 200 }}
            size="small"
            disabled={tailOn}
            slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
          >
            <MenuItem value="">Today</MenuItem>
            {(days.data ?? []).map((d) => (
              <MenuItem key={d.date} value={d.date}>
                {d.date} · {formatCount(d.rows)} rows · {formatBytes(d.bytes)}
              </MenuItem>
            ))}
          </TextField>
          <TextField label="Search" placeholder="text in any column" value={q} onChange={(e) => setQ(e.target.value)} size="small" sx={{ flex: '1 1 200px' }} disabled={tailOn} />
          <TextField label="From" type="time" value={from} onChange={(e) => setFrom(e.target.value)} size="small" slotProps={{ inputLabel: { shrink: true }, htmlInput: { step: 1 } }} disabled={tailOn} />
          <TextField label="To" type="time" value={to} onChange={(e) => setTo(e.target.value)} size="small" slotProps={{ inputLabel: { shrink: true }, htmlInput: { step: 1 } }} disabled={tailOn} />
          <FormControlLabel
            control={
              <Switch
                checked={tailOn}
                onChange={(e) => {
                  setTail({ columns: [], rows: [] });
                  setTailOn(e.target.checked);
                }}
              />
            }
            label="Live tail"
          />
          {activeFilters && !tailOn && (
            <Button
              size="small"
              onClick={() => {
                setQ('');
                setFilters({});
                setFrom('');
                setTo('');
              }}
            >
              Clear filters
            </Button>
          )}
        </Stack>
        {tailOn && (
          <Alert severity={connected ? 'info' : 'warning'} sx={{ mt: 2 }}>
            {connected ? 'Showing live rows as they arrive (sampled, newest on top, last 500).' : 'Live connection lost; reconnecting…'}
          </Alert>
        )}
      </Paper>
      <Paper variant="outlined">
        {!tailOn && logs.isFetching && <LinearProgress aria-label="Loading logs" />}
        {!tailOn && logs.error && <ErrorState error={logs.error} onRetry={() => logs.refetch()} />}
        {!tailOn && logs.isPending && !logs.error ? (
          <Loading label="Loading logs" />
        ) : (
          <ScrollBox maxHeight="70vh">
            <Table size="small" stickyHeader aria-label="Logs">
              <TableHead>
                <TableRow>
                  {columns.map((c) => (
                    <TableCell key={c}>{c}</TableCell>
                  ))}
                </TableRow>
                {!tailOn && (
                  <TableRow>
                    {columns.map((c) => (
                      <TableCell key={c} sx={{ top: 37, py: 0.5 }}>
                        {filterable.includes(c) && (
                          <TextField
                            size="small"
                            variant="standard"
                            placeholder="filter"
                            value={filters[c] ?? ''}
                            onChange={(e) => setFilters((f) => ({ ...f, [c]: e.target.value }))}
                            slotProps={{ htmlInput: { 'aria-label': `Filter ${c}` } }}
                            sx={{ minWidth: 80 }}
                          />
                        )}
                      </TableCell>
                    ))}
                  </TableRow>
                )}
              </TableHead>
              <TableBody>
                {rows.map((r, i) => (
                  <TableRow key={tailOn ? `t${tail.rows.length - i}` : `${r[0] ?? ''}-${i}`} hover>
                    {r.map((v, j) => (
                      <TableCell key={j} sx={{ fontFamily: 'monospace', fontSize: 13, maxWidth: columns[j] === 'original_log' ? 640 : undefined, overflow: 'hidden', textOverflow: 'ellipsis' }} title={v ?? undefined}>
                        <Cell v={v} />
                      </TableCell>
                    ))}
                  </TableRow>
                ))}
                {rows.length === 0 && (
                  <TableRow>
                    <TableCell colSpan={Math.max(1, columns.length)}>{tailOn ? 'Waiting for logs…' : 'No rows match.'}</TableCell>
                  </TableRow>
                )}
              </TableBody>
            </Table>
          </ScrollBox>
        )}
        {!tailOn && (
          <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'flex-end', gap: 1, p: 1, flexWrap: 'wrap' }}>
            <TextField select size="small" label="Rows per page" value={limit} onChange={(e) => setLimit(Number(e.target.value))} sx={{ minWidth: 120 }}>
              {LIMITS.map((l) => (
                <MenuItem key={l} value={l}>
                  {l}
                </MenuItem>
              ))}
            </TextField>
            {pageNote(logs.data?.limit_reason) && (
              <Box component="span" sx={{ px: 1, color: 'text.secondary', fontSize: '0.875rem', flex: '1 1 240px' }}>
                {pageNote(logs.data?.limit_reason)}
              </Box>
            )}
            <Box sx={{ px: 1 }} aria-live="polite">
              Page {pageNumber(cursors)}
            </Box>
            <Button startIcon={<NavigateBefore />} disabled={!canPrevious(cursors)} onClick={() => setCursors(previous(cursors))}>
              Previous
            </Button>
            <Button endIcon={<NavigateNext />} disabled={!logs.data?.next_cursor || logs.isFetching} onClick={() => setCursors(next(cursors, logs.data?.next_cursor))}>
              Next
            </Button>
          </Stack>
        )}
      </Paper>
    </>
  );
}
