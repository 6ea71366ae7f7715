// The history of fired alerts, newest first, filtered by rule and engine (kept in the URL:
// /alerts/history?rule=&engine=), each with its deliveries and a link to browse the rows.
import ExpandLess from '@mui/icons-material/ExpandLess';
import ExpandMore from '@mui/icons-material/ExpandMore';
import {
  Alert,
  Box,
  Chip,
  IconButton,
  Link,
  MenuItem,
  Paper,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { Fragment, useState } from 'react';
import { Link as RouterLink, useSearchParams } from 'react-router';
import { useAlertHistory, useAlertRules, useEngines } from '../api/queries';
import type { AlertEvent } from '../api/types';
import { formatCount, formatDuration } from '../common/format';
import { QueryView, ScrollBox } from '../common/ui';
import { browseTarget, deliveryLabel, historyQuery, HISTORY_LIMIT, rowText, statusColor } from './history';
import { formatWhen } from './time';

const ANY = '*';

function BrowseLink({ alert }: { alert: AlertEvent }) {
  const t = browseTarget(alert.link);
  if (!t) return <>–</>;
  const label = `Browse logs of alert ${alert.id}`;
  return 'internal' in t ? (
    <Link component={RouterLink} to={t.internal} aria-label={label}>
      Browse
    </Link>
  ) : (
    <Link href={t.href} aria-label={label}>
      Browse
    </Link>
  );
}

function AlertRows({ alert }: { alert: AlertEvent }) {
  const rows = alert.rows ?? [];
  return (
    // width 0 / min-width 100%: long rows wrap instead of widening the table
    <Box sx={{ width: 0, minWidth: '100%' }}>
      {alert.message && <Typography variant="body2">{alert.message}</Typography>}
      {rows.length === 0 ? (
        !alert.message && <Typography variant="body2">No rows kept.</Typography>
      ) : (
        <Stack spacing={0.5} component="ol" sx={{ m: 0, pl: 3 }}>
          {rows.map((r, i) => (
            <Typography key={i} component="li" variant="body2" sx={{ fontFamily: 'monospace', overflowWrap: 'anywhere' }}>
              {rowText(r)}
            </Typography>
          ))}
        </Stack>
      )}
    </Box>
  );
}

export function HistoryTab() {
  const [params, setParams] = useSearchParams();
  const rule = params.get('rule') ?? '';
  const engine = params.get('engine') ?? '';
  const history = useAlertHistory(historyQuery({ rule, engine }));
  const rules = useAlertRules();
  const engines = useEngines();
  const [open, setOpen] = useState<string | null>(null);

  const setFilter = (k: 'rule' | 'engine', v: string) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p);
        if (v && v !== ANY) n.set(k, v);
        else n.delete(k);
        return n;
      },
      { replace: true },
    );
  const ruleNames = [...new Set([...(rules.data ?? []).map((r) => r.name), ...(rule ? [rule] : [])])];
  const engineNames = [...new Set([...(engines.data ?? []).map((e) => e.name), ...(engine ? [engine] : [])])];

  return (
    <>
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ mb: 2 }}>
        <TextField select size="small" label="Rule" value={rule || ANY} onChange={(e) => setFilter('rule', e.target.value)} sx={{ minWidth: 200 }}>
          <MenuItem value={ANY}>All rules</MenuItem>
          {ruleNames.map((n) => (
            <MenuItem key={n} value={n}>
              {n}
            </MenuItem>
          ))}
        </TextField>
        <TextField select size="small" label="Engine" value={engine || ANY} onChange={(e) => setFilter('engine', e.target.value)} sx={{ minWidth: 200 }}>
          <MenuItem value={ANY}>All engines</MenuItem>
          {engineNames.map((n) => (
            <MenuItem key={n} value={n}>
              {n}
            </MenuItem>
          ))}
        </TextField>
      </Stack>
      <QueryView q={history}>
        {(list) =>
          list.length === 0 ? (
            <Alert severity="info">No alerts{rule || engine ? ' match these filters' : ' have fired yet'}.</Alert>
          ) : (
            <Paper variant="outlined">
              <ScrollBox>
                <Table size="small" aria-label="Alert history">
                  <TableHead>
                    <TableRow>
                      <TableCell padding="checkbox" />
                      <TableCell>Time</TableCell>
                      <TableCell>Rule</TableCell>
                      <TableCell>Engine</TableCell>
                      <TableCell>Group</TableCell>
                      <TableCell align="right">Count</TableCell>
                      <TableCell>Window</TableCell>
                      <TableCell>Deliveries</TableCell>
                      <TableCell>Logs</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {list.map((a) => {
                      const id = String(a.id);
                      const expanded = open === id;
                      return (
                        <Fragment key={id}>
                          <TableRow hover data-testid="history-row" data-rule={a.rule} data-engine={a.engine}>
                            <TableCell padding="checkbox">
                              <IconButton size="small" aria-label={`Rows of alert ${id}`} aria-expanded={expanded} onClick={() => setOpen(expanded ? null : id)}>
                                {expanded ? <ExpandLess /> : <ExpandMore />}
                              </IconButton>
                            </TableCell>
                            <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatWhen(a.time)}</TableCell>
                            <TableCell>{a.rule}</TableCell>
                            <TableCell>{a.engine || '–'}</TableCell>
                            <TableCell sx={{ overflowWrap: 'anywhere' }}>{a.group || '–'}</TableCell>
                            <TableCell align="right">{formatCount(a.count)}</TableCell>
                            <TableCell>{a.window_s ? formatDuration(a.window_s) : '–'}</TableCell>
                            <TableCell>
                              <Stack direction="row" sx={{ gap: 0.5, flexWrap: 'wrap' }}>
                                {(a.deliveries ?? []).length === 0
                                  ? '–'
                                  : (a.deliveries ?? []).map((d) => (
                                      <Chip
                                        key={d.channel}
                                        size="small"
                                        label={deliveryLabel(d)}
                                        color={statusColor(d.status)}
                                        title={d.error || undefined}
                                        data-testid="alert-delivery"
                                      />
                                    ))}
                              </Stack>
                            </TableCell>
                            <TableCell>
                              <BrowseLink alert={a} />
                            </TableCell>
                          </TableRow>
                          {expanded && (
                            <TableRow>
                              <TableCell colSpan={9}>
                                <AlertRows alert={a} />
                              </TableCell>
                            </TableRow>
                          )}
                        </Fragment>
                      );
                    })}
                  </TableBody>
                </Table>
              </ScrollBox>
              {list.length >= HISTORY_LIMIT && (
                <Typography variant="caption" color="text.secondary" sx={{ display: 'block', p: 1 }}>
                  The newest {HISTORY_LIMIT} alerts are shown.
                </Typography>
              )}
            </Paper>
          )
        }
      </QueryView>
    </>
  );
}
