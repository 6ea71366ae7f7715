// The table of matching rows with its per-column filters and cursor paging (across day
// files in range mode).
import NavigateBefore from '@mui/icons-material/NavigateBefore';
import NavigateNext from '@mui/icons-material/NavigateNext';
import { Alert, Box, Button, LinearProgress, MenuItem, Paper, Stack, TextField } from '@mui/material';
import { useCallback, useMemo, useState } from 'react';
import { useLogs } from '../api/queries';
import { ErrorState, Loading } from '../common/ui';
import { LIMITS, type BrowseState, type ColumnFilter } from './browseState';
import { canPrevious, current, firstPage, next, pageNote, pageNumber, previous, type CursorStack } from './cursorStack';
import { LogTable } from './LogTable';
import { rowKeyOf } from './rowKey';
import { logsQuery } from './query';
import type { UpdateBrowse } from './useBrowseState';

const noRows: (string | null)[][] = [];
const noColumns: string[] = [];

export function LogResults({ engine, state, update }: { engine: string; state: BrowseState; update: UpdateBrowse }) {
  const selectionKey = logsQuery(state, { limit: state.limit, order: state.order });
  const [stack, setStack] = useState<{ key: string; s: CursorStack }>({ key: selectionKey, s: firstPage });
  const cursors = stack.key === selectionKey ? stack.s : firstPage;
  const setCursors = (s: CursorStack) => setStack({ key: selectionKey, s });

  const logs = useLogs(engine, logsQuery(state, { limit: state.limit, order: state.order, cursor: current(cursors) }));
  const columns = logs.data?.columns ?? noColumns;
  const rows = logs.data?.rows ?? noRows;
  const rowNodes = logs.data?.row_nodes;
  const rowKeys = useMemo(() => rows.map((r, i) => rowKeyOf(columns, r, i, rowNodes?.[i])), [rows, columns, rowNodes]);
  const onFilter = useCallback((column: string, f: ColumnFilter) => update((s) => ({ filters: { ...s.filters, [column]: f } })), [update]);

  return (
    <Paper variant="outlined">
      {logs.isFetching && <LinearProgress aria-label="Loading logs" />}
      {logs.error && <ErrorState error={logs.error} onRetry={() => logs.refetch()} />}
      {logs.data?.partial && (
        <Alert severity="warning" sx={{ m: 1 }}>
          Store nodes that did not answer, whose rows are missing from this page: {logs.data.missing_nodes?.join(', ')}
        </Alert>
      )}
      {logs.isPending && !logs.error ? (
        <Loading label="Loading logs" />
      ) : (
        <LogTable columns={columns} rows={rows} rowKeys={rowKeys} filters={state.filters} onFilter={onFilter} emptyText="No rows match." />
      )}
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'flex-end', gap: 1, p: 1, flexWrap: 'wrap' }}>
        <TextField select size="small" label="Rows per page" value={state.limit} onChange={(e) => update({ limit: Number(e.target.value) })} sx={{ minWidth: 120 }}>
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
    </Paper>
  );
}
