import { Card, CardContent, Chip, LinearProgress, Stack, Typography } from '@mui/material';
import Grid from '@mui/material/Grid';
import type { ReactNode } from 'react';
import { useSystem } from '../api/queries';
import type { SystemInfo } from '../api/types';
import { formatBytes, formatDuration, formatPercent, formatTimeInZone } from '../common/format';
import { ErrorState, Loading, PageHeader } from '../common/ui';
import { useLive } from '../common/useLive';

function Tile({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Grid size={{ xs: 12, sm: 6, lg: 4 }}>
      <Card variant="outlined" sx={{ height: '100%' }}>
        <CardContent>
          <Typography variant="overline" color="text.secondary" component="h2">
            {title}
          </Typography>
          {children}
        </CardContent>
      </Card>
    </Grid>
  );
}

function loadText(load: SystemInfo['load']): string {
  if (!load) return '–';
  const v = Array.isArray(load) ? load : Object.values(load);
  return v.map((x) => x.toFixed(2)).join(' · ');
}

function Meter({ pct, label }: { pct: number; label: string }) {
  return <LinearProgress variant="determinate" value={Math.max(0, Math.min(100, pct))} color={pct > 90 ? 'error' : pct > 75 ? 'warning' : 'primary'} aria-label={label} sx={{ my: 1, height: 8, borderRadius: 4 }} />;
}

export default function SystemPage() {
  const polled = useSystem();
  const { stats } = useLive();
  const s = stats?.system ?? polled.data;

  if (!s) return polled.error ? <ErrorState error={polled.error} onRetry={() => polled.refetch()} /> : <Loading />;
  const memPct = s.mem?.total ? (100 * s.mem.used) / s.mem.total : 0;
  const diskUsed = (s.disk?.total ?? 0) - (s.disk?.free ?? 0);
  const diskPct = s.disk?.total ? (100 * diskUsed) / s.disk.total : 0;

  return (
    <>
      <PageHeader title="System" subtitle={`${s.hostname} · logsieve ${s.version}`} />
      <Grid container spacing={2}>
        <Tile title="CPU">
          <Typography variant="h5" data-testid="cpu">{formatPercent(s.cpu_percent)}</Typography>
          <Meter pct={s.cpu_percent} label="CPU usage" />
          <Typography variant="body2" color="text.secondary">
            Load {loadText(s.load)}
          </Typography>
        </Tile>
        <Tile title="Memory">
          <Typography variant="h5">
            {formatBytes(s.mem?.used)} / {formatBytes(s.mem?.total)}
          </Typography>
          <Meter pct={memPct} label="Memory usage" />
          <Typography variant="body2" color="text.secondary">
            {formatPercent(memPct)} used
          </Typography>
        </Tile>
        <Tile title="Disk">
          <Typography variant="h5">{formatBytes(s.disk?.free)} free</Typography>
          <Meter pct={diskPct} label="Disk usage" />
          <Typography variant="body2" color="text.secondary" sx={{ overflowWrap: 'anywhere' }}>
            {s.disk?.path} · {formatBytes(s.disk?.total)} total · {formatPercent(diskPct)} used
          </Typography>
        </Tile>
        <Tile title="Server time">
          <Typography variant="h5" data-testid="server-time">
            {formatTimeInZone(s.time, s.timezone)}
          </Typography>
          <Stack direction="row" spacing={1} sx={{ mt: 1, alignItems: 'center', flexWrap: 'wrap' }}>
            <Chip size="small" label={s.timezone} />
            <Chip size="small" color={s.ntp_synchronized ? 'success' : 'warning'} label={s.ntp_synchronized ? 'NTP synchronised' : 'NTP not synchronised'} />
          </Stack>
        </Tile>
        <Tile title="Uptime">
          <Typography variant="h5">{formatDuration(s.uptime_s)}</Typography>
          <Typography variant="body2" color="text.secondary">
            Host {s.hostname}
          </Typography>
        </Tile>
        <Tile title="Process">
          <Typography variant="h5">{s.goroutines} goroutines</Typography>
          <Typography variant="body2" color="text.secondary">
            Version {s.version}
          </Typography>
        </Tile>
      </Grid>
    </>
  );
}
