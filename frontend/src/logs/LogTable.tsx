// The log table: column headers, optional per-column filters, and memoized rows that
// expand. Cell styles are set once on the table (not per cell), so a 500-row page stays cheap.
import { Table, TableBody, TableCell, TableHead, TableRow } from '@mui/material';
import { useCallback, useState } from 'react';
import { ScrollBox } from '../common/ui';
import type { ColumnFilter as Filter } from './browseState';
import { ColumnFilter } from './ColumnFilter';
import { LogRow, type Row } from './LogRow';

const tableSx = {
  '& tbody td': { fontFamily: 'monospace', fontSize: 13, whiteSpace: 'nowrap' },
  '& td.original': { maxWidth: 640, overflow: 'hidden', textOverflow: 'ellipsis' },
  '& td.expand': { width: 32, pl: 0.5 },
};

export interface LogTableProps {
  columns: string[];
  rows: Row[];
  rowKeys: string[];
  /** with onFilter, a second header row holds a filter for every column but id and date */
  filters?: Record<string, Filter>;
  onFilter?: (column: string, f: Filter) => void;
  emptyText: string;
}

export function LogTable({ columns, rows, rowKeys, filters, onFilter, emptyText }: LogTableProps) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const toggle = useCallback(
    (key: string) =>
      setExpanded((s) => {
        const n = new Set(s);
        if (!n.delete(key)) n.add(key);
        return n;
      }),
    [],
  );
  return (
    <ScrollBox maxHeight="70vh">
      <Table size="small" stickyHeader aria-label="Logs" sx={tableSx}>
        <TableHead>
          <TableRow>
            <TableCell padding="none" aria-label="Expand" />
            {columns.map((c) => (
              <TableCell key={c}>{c}</TableCell>
            ))}
          </TableRow>
          {onFilter && (
            <TableRow>
              <TableCell component="td" padding="none" sx={{ top: 37 }} />
              {columns.map((c) => (
                // td: the filter is not a column header (its toggle's name would join the header's)
                <TableCell component="td" key={c} sx={{ top: 37, py: 0.5 }}>
                  {c !== 'id' && c !== 'date' && <ColumnFilter column={c} filter={filters?.[c]} onChange={onFilter} />}
                </TableCell>
              ))}
            </TableRow>
          )}
        </TableHead>
        <TableBody>
          {rows.map((r, i) => (
            <LogRow key={rowKeys[i]} rowKey={rowKeys[i]} row={r} columns={columns} expanded={expanded.has(rowKeys[i])} onToggle={toggle} />
          ))}
          {rows.length === 0 && (
            <TableRow>
              <TableCell colSpan={columns.length + 1}>{emptyText}</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
    </ScrollBox>
  );
}
