// One log row of the table, memoized: it renders again only when its own values or its
// expanded state change, not when the page around it does. Expanded, it shows every value
// and the original log in full below the row.
import KeyboardArrowDown from '@mui/icons-material/KeyboardArrowDown';
import KeyboardArrowRight from '@mui/icons-material/KeyboardArrowRight';
import { Box, IconButton, TableCell, TableRow, Typography } from '@mui/material';
import { memo } from 'react';

export type Row = (string | null)[];

function Value({ v }: { v: string | null }) {
  if (v === null) return <Typography component="span" variant="body2" color="text.disabled">—</Typography>;
  return <>{v}</>;
}

export interface LogRowProps {
  rowKey: string;
  row: Row;
  columns: string[];
  expanded: boolean;
  /** onToggle must be stable (e.g. from useCallback) or every row renders again */
  onToggle: (rowKey: string) => void;
}

export const LogRow = memo(function LogRow({ rowKey, row, columns, expanded, onToggle }: LogRowProps) {
  return (
    <>
      <TableRow hover data-row={rowKey} sx={expanded ? { '& > td': { borderBottom: 'none' } } : undefined}>
        <TableCell padding="none" className="expand">
          <IconButton size="small" aria-label={`${expanded ? 'Hide' : 'Show'} row ${rowKey}`} aria-expanded={expanded} onClick={() => onToggle(rowKey)}>
            {expanded ? <KeyboardArrowDown fontSize="small" /> : <KeyboardArrowRight fontSize="small" />}
          </IconButton>
        </TableCell>
        {row.map((v, j) => (
          <TableCell key={j} className={columns[j] === 'original_log' ? 'original' : undefined} title={v ?? undefined}>
            <Value v={v} />
          </TableCell>
        ))}
      </TableRow>
      {expanded && (
        <TableRow>
          <TableCell colSpan={row.length + 1}>
            <RowDetails row={row} columns={columns} />
          </TableCell>
        </TableRow>
      )}
    </>
  );
});

/** RowDetails lists every column of a row with its whole value; long values wrap. */
function RowDetails({ row, columns }: { row: Row; columns: string[] }) {
  return (
    <Box component="dl" aria-label="Row details" sx={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 2, rowGap: 0.5, m: 0, py: 1 }}>
      {columns.map((c, j) => (
        <Box key={c} sx={{ display: 'contents' }}>
          <Box component="dt" sx={{ color: 'text.secondary', fontFamily: 'inherit' }}>
            {c}
          </Box>
          <Box component="dd" sx={{ m: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            <Value v={row[j] ?? null} />
          </Box>
        </Box>
      ))}
    </Box>
  );
}
