import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import ListAlt from '@mui/icons-material/ListAlt';
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  IconButton,
  LinearProgress,
  Snackbar,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tooltip,
  Typography,
} from '@mui/material';
import Grid from '@mui/material/Grid';
import { useEffect, useRef, useState } from 'react';
import { Link as RouterLink, useParams } from 'react-router';
import { useDays, useEngine, useEngineEvents, useEngineHistory, useEngineMutations, useEngineStats } from '../api/queries';
import type { EngineStats, WsStats } from '../api/types';
import { useAuth } from '../auth/authContext';
import { appendPoint, CHART_WINDOW_S, emptySeries, pointAt, pointFromStats, seedSeries, type LiveSample, type Series } from '../common/chartData';
import { formatBytes, formatCount, formatDuration, formatPercent, formatRate, formatTimeInZone } from '../common/format';
import { Throughput } from '../common/Throughput';
import { ConfirmDialog, ErrorState, Loading, PageHeader, QueryView, ScrollBox, StateChip } from '../common/ui';
import { useLive } from '../common/useLive';
import { EngineAlertBadge } from '../alerts/AlertBadge';
import { ClientsCard } from './ClientsCard';
import { ClusterNodesCard } from './ClusterNodesCard';
import { ConnectionsCard } from './ConnectionsCard';
import { TlsCertificate } from './TlsCertificate';
import { EngineActions } from './EngineActions';
import { EngineDialog } from './EngineDialog';
import { useLiveEvents } from './liveEvents';
import { spoolText } from './spool';

function useThroughput(name: string): { series: Series; stats: EngineStats | undefined; historyError: unknown } {
  const history = useEngineHistory(name, CHART_WINDOW_S);
  const [series, setSeries] = useState<Series>(emptySeries);
  const prev = useRef<LiveSample | undefined>(undefined);
  const onStats = (m: WsStats) => {
    const cur = m.engines?.[name];
    if (!cur) return;
    const p = pointFromStats(m.t, cur, prev.current);
    prev.current = { t: m.t, stats: cur };
    setSeries((s) => appendPoint(s, p));
  };
  const { stats } = useLive({ onStats });
  useEffect(() => {
    if (!history.data) return;
    const seeded = seedSeries(history.data);
    setSeries((live) => {
      let s = seeded;
      for (let i = 0; i < live.t.length; i++) {
        s = appendPoint(s, pointAt(live, i));
      }
      return s;
    });
  }, [history.data]);
  return { series, stats: stats?.engines?.[name], historyError: history.error };
}

function Counter({ label, value, warn }: { label: string; value: string; warn?: boolean }) {
  return (
    <Box sx={{ minWidth: 110 }}>
      <Typography variant="caption" color="text.secondary">
        {label}
      </Typography>
      <Typography variant="h6" color={warn ? 'error' : undefined} data-testid={`counter-${label.toLowerCase().replace(/\W+/g, '-')}`}>
        {value}
      </Typography>
    </Box>
  );
}

export default function EngineDetailPage() {
  const { name = '' } = useParams();
  const engine = useEngine(name);
  const polled = useEngineStats(name);
  const days = useDays(name);
  const events = useEngineEvents(name);
  useLiveEvents(name);
  const { isAdmin } = useAuth();
  const { deleteDay } = useEngineMutations();
  const { series, stats: liveStats, historyError } = useThroughput(name);
  const [edit, setEdit] = useState(false);
  const [dayToDelete, setDayToDelete] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);

  const s = liveStats ?? polled.data;
  const tz = engine.data?.timezone ?? 'UTC';
  const stream = engine.data?.protocol === 'tcp' || engine.data?.protocol === 'tls';

  return (
    <QueryView q={engine}>
      {(e) => (
        <>
          <PageHeader
            title={
              <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }} component="span">
                <span>{e.name}</span>
                <StateChip state={s?.state ?? e.state} />
                <EngineAlertBadge engine={e.name} />
              </Stack>
            }
            subtitle={`${e.class} · ${e.protocol || 'udp'} ${e.bind}:${e.port} · syslog header ${e.syslog_header ?? 'none'} · ${e.timezone} · retention ${e.retention_days ? `${e.retention_days} days` : 'forever'}`}
            actions={
              <>
                <Button component={RouterLink} to={`/engines/${encodeURIComponent(e.name)}/logs`} startIcon={<ListAlt />} variant="outlined">
                  Browse logs
                </Button>
                {isAdmin && (
                  <>
                    <EngineActions engine={{ ...e, state: s?.state ?? e.state }} onError={setMsg} />
                    <Button startIcon={<Edit />} onClick={() => setEdit(true)} variant="outlined">
                      Edit
                    </Button>
                  </>
                )}
              </>
            }
          />
          {(s?.reason || e.error) && (s?.state === 'failed' || s?.state === 'paused' || e.state === 'failed') && (
            <Alert severity={s?.state === 'paused' ? 'warning' : 'error'} sx={{ mb: 2 }}>
              {s?.reason || e.error}
            </Alert>
          )}
          <Grid container spacing={2}>
            <Grid size={12}>
              <Card variant="outlined">
                <CardContent>
                  <Typography variant="subtitle1" component="h2" gutterBottom>
                    Throughput, last 15 minutes
                  </Typography>
                  {historyError != null && <ErrorState error={historyError} />}
                  <Throughput series={series} timeZone={tz} />
                </CardContent>
              </Card>
            </Grid>
            <Grid size={12}>
              <Card variant="outlined">
                <CardContent>
                  <Typography variant="subtitle1" component="h2" gutterBottom>
                    Counters
                  </Typography>
                  {!s ? (
                    polled.error ? <ErrorState error={polled.error} onRetry={() => polled.refetch()} /> : <Loading />
                  ) : (
                    <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 2 }} data-testid="counters">
                      <Counter label="In/s" value={formatRate(s.in_per_s)} />
                      <Counter label="Stored/s" value={formatRate(s.stored_per_s)} />
                      <Counter label="Received" value={formatCount(s.received)} />
                      <Counter label="Stored" value={formatCount(s.stored)} />
                      <Counter label="Unmatched" value={formatCount(s.unmatched)} />
                      <Counter label="Rejected" value={formatCount(s.rejected)} warn={s.rejected > 0} />
                      <Counter label="Dropped" value={formatCount(s.dropped)} warn={s.dropped > 0} />
                      <Counter label="Kernel drops" value={formatCount(s.kernel_drops)} warn={s.kernel_drops > 0} />
                      <Counter label="Refused" value={formatCount(s.refused)} warn={s.refused > 0} />
                      <Counter label="Write errors" value={formatCount(s.write_errors)} warn={s.write_errors > 0} />
                      <Counter label="Queue" value={formatCount(s.queue_depth)} />
                      {spoolText(s) != null && <Counter label="Spool" value={spoolText(s) ?? ''} warn />}
                      {(s.spooled ?? 0) > 0 && <Counter label="Spooled" value={formatCount(s.spooled)} />}
                      {stream && (
                        <>
                          <Counter label="Connections" value={`${formatCount(s.connections ?? 0)} open · ${formatCount(s.connections_total ?? 0)} total`} />
                          <Counter label="Refused connections" value={formatCount(s.connections_refused ?? 0)} warn={(s.connections_refused ?? 0) > 0} />
                          <Counter label="Framing errors" value={formatCount(s.framing_errors ?? 0)} warn={(s.framing_errors ?? 0) > 0} />
                          <Counter label="Cut messages" value={formatCount(s.truncated ?? 0)} warn={(s.truncated ?? 0) > 0} />
                          <Counter
                            label="Back-pressure"
                            value={(s.backpressure_ms ?? 0) < 1000 ? `${s.backpressure_ms ?? 0} ms` : formatDuration((s.backpressure_ms ?? 0) / 1000)}
                          />
                        </>
                      )}
                      {e.protocol === 'tls' && <Counter label="TLS errors" value={formatCount(s.tls_errors ?? 0)} warn={(s.tls_errors ?? 0) > 0} />}
                      <Counter label="Uptime" value={s.started_at ? formatDuration(s.uptime_s) : '–'} />
                    </Stack>
                  )}
                </CardContent>
              </Card>
            </Grid>
            <ClusterNodesCard name={name} />
            <Grid size={{ xs: 12, md: 6 }}>
              <Card variant="outlined">
                <CardContent>
                  <Typography variant="subtitle1" component="h2" gutterBottom>
                    Workers
                  </Typography>
                  <ScrollBox>
                    <Table size="small" aria-label="Workers">
                      <TableHead>
                        <TableRow>
                          <TableCell>Worker</TableCell>
                          <TableCell>State</TableCell>
                          <TableCell sx={{ minWidth: 140 }}>Busy</TableCell>
                        </TableRow>
                      </TableHead>
                      <TableBody>
                        {(s?.workers ?? []).map((w) => (
                          <TableRow key={w.name}>
                            <TableCell>{w.name}</TableCell>
                            <TableCell>{w.state}</TableCell>
                            <TableCell>
                              <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
                                <LinearProgress variant="determinate" value={Math.min(100, w.busy_pct)} sx={{ flexGrow: 1 }} aria-label={`${w.name} busy`} />
                                <span>{formatPercent(w.busy_pct)}</span>
                              </Stack>
                            </TableCell>
                          </TableRow>
                        ))}
                        {(s?.workers ?? []).length === 0 && (
                          <TableRow>
                            <TableCell colSpan={3}>No workers running.</TableCell>
                          </TableRow>
                        )}
                      </TableBody>
                    </Table>
                  </ScrollBox>
                </CardContent>
              </Card>
            </Grid>
            <Grid size={{ xs: 12, md: 6 }}>
              <Card variant="outlined">
                <CardContent>
                  <Typography variant="subtitle1" component="h2" gutterBottom>
                    Days
                  </Typography>
                  <QueryView q={days}>
                    {(list) => (
                      <ScrollBox maxHeight={360}>
                        <Table size="small" aria-label="Days" stickyHeader>
                          <TableHead>
                            <TableRow>
                              <TableCell>Date</TableCell>
                              <TableCell align="right">Rows</TableCell>
                              <TableCell align="right">Size</TableCell>
                              {isAdmin && <TableCell align="right">Delete</TableCell>}
                            </TableRow>
                          </TableHead>
                          <TableBody>
                            {(list ?? []).map((d) => (
                              <TableRow key={d.date} data-testid={`day-${d.date}`}>
                                <TableCell>
                                  <RouterLink to={`/engines/${encodeURIComponent(e.name)}/logs?date=${d.date}`}>{d.date}</RouterLink>
                                </TableCell>
                                <TableCell align="right">{formatCount(d.rows)}</TableCell>
                                <TableCell align="right">{formatBytes(d.bytes)}</TableCell>
                                {isAdmin && (
                                  <TableCell align="right">
                                    <Tooltip title="Delete day">
                                      <IconButton size="small" aria-label={`Delete day ${d.date}`} onClick={() => setDayToDelete(d.date)}>
                                        <Delete />
                                      </IconButton>
                                    </Tooltip>
                                  </TableCell>
                                )}
                              </TableRow>
                            ))}
                            {(list ?? []).length === 0 && (
                              <TableRow>
                                <TableCell colSpan={4}>No stored days yet.</TableCell>
                              </TableRow>
                            )}
                          </TableBody>
                        </Table>
                      </ScrollBox>
                    )}
                  </QueryView>
                </CardContent>
              </Card>
            </Grid>
            {stream && (
              <Grid size={12}>
                <ConnectionsCard name={e.name} timeZone={tz} />
              </Grid>
            )}
            {e.protocol === 'tls' && (
              <Grid size={12}>
                <Card variant="outlined">
                  <CardContent>
                    <TlsCertificate />
                  </CardContent>
                </Card>
              </Grid>
            )}
            <Grid size={12}>
              <ClientsCard engine={e} isAdmin={isAdmin} />
            </Grid>
            <Grid size={12}>
              <Card variant="outlined">
                <CardContent>
                  <Typography variant="subtitle1" component="h2" gutterBottom>
                    Events
                  </Typography>
                  {events.error ? (
                    <ErrorState error={events.error} onRetry={() => events.refetch()} />
                  ) : events.isPending ? (
                    <Loading />
                  ) : (
                    <ScrollBox maxHeight={300}>
                      <Table size="small" aria-label="Events">
                        <TableBody>
                          {(events.data ?? []).map((ev, i) => (
                            <TableRow key={`${ev.t}-${i}`}>
                              <TableCell>{formatTimeInZone(ev.t, tz)}</TableCell>
                              <TableCell>
                                <Chip size="small" label={ev.level} color={ev.level === 'error' ? 'error' : ev.level === 'warning' ? 'warning' : 'default'} />
                              </TableCell>
                              <TableCell sx={{ whiteSpace: 'normal' }}>{ev.message}</TableCell>
                            </TableRow>
                          ))}
                          {(events.data ?? []).length === 0 && (
                            <TableRow>
                              <TableCell>No events.</TableCell>
                            </TableRow>
                          )}
                        </TableBody>
                      </Table>
                    </ScrollBox>
                  )}
                </CardContent>
              </Card>
            </Grid>
          </Grid>
          {edit && <EngineDialog open engine={e} onClose={() => setEdit(false)} />}
          <ConfirmDialog
            open={!!dayToDelete}
            title={`Delete day ${dayToDelete ?? ''}?`}
            text={`All logs of ${e.name} stored on ${dayToDelete} are deleted. This cannot be undone.`}
            onConfirm={() => deleteDay.mutateAsync({ name: e.name, date: dayToDelete! })}
            onClose={() => setDayToDelete(null)}
          />
          <Snackbar open={!!msg} autoHideDuration={6000} onClose={() => setMsg(null)} message={msg} />
        </>
      )}
    </QueryView>
  );
}
