// Create / edit an engine; server-side 400/409 errors land on the field they name.
// Retention: a new engine starts at the server's default_retention_days (GET /settings);
// 0 (keep every day forever) is sent only when the operator turns on "Keep logs forever",
// which shows a warning.
import {
  Alert,
  Autocomplete,
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  MenuItem,
  Stack,
  Switch,
  TextField,
} from '@mui/material';
import { useMemo, useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { useClasses, useEngineMutations, useSettings } from '../api/queries';
import type { EngineInfo, EngineSpec, Settings, SyslogHeaderMode } from '../api/types';
import { timeZones } from '../common/format';
import { TlsCertificate } from './TlsCertificate';

function hostZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

interface Form {
  name: string;
  class: string;
  protocol: Protocol;
  tls_client_ca: string;
  max_message_bytes: string;
  max_connections: string;
  syslog_header: SyslogHeaderMode;
  bind: string;
  port: string;
  timezone: string;
  retention_days: string; // '' on create: the server default once known
  keep_forever: boolean; // retention_days 0
  keep_original: boolean;
  enabled: boolean;
}

type Protocol = 'udp' | 'tcp' | 'tls';
const asProtocol = (p?: string): Protocol => (p === 'tcp' || p === 'tls' ? p : 'udp');

function toForm(e?: EngineInfo): Form {
  return {
    name: e?.name ?? '',
    class: e?.class ?? '',
    protocol: asProtocol(e?.protocol),
    tls_client_ca: e?.tls_client_ca ?? '',
    max_message_bytes: String(e?.max_message_bytes ?? DEFAULT_MAX_MESSAGE_BYTES),
    max_connections: String(e?.max_connections ?? DEFAULT_MAX_CONNECTIONS),
    syslog_header: e ? (e.syslog_header ?? 'none') : 'auto',
    bind: e?.bind ?? '0.0.0.0',
    port: e ? String(e.port) : '',
    timezone: e?.timezone ?? hostZone(),
    retention_days: e && e.retention_days > 0 ? String(e.retention_days) : '',
    keep_forever: e ? e.retention_days === 0 : false,
    keep_original: e?.keep_original ?? true,
    enabled: e?.enabled ?? true,
  };
}

const MAX_RETENTION_DAYS = 36500;
// TCP limits: the server's defaults and bounds (docs/api.md, TCP).
const DEFAULT_MAX_MESSAGE_BYTES = 65536;
const DEFAULT_MAX_CONNECTIONS = 1024;
const MESSAGE_BYTES_RANGE = [480, 16777216] as const;
const CONNECTIONS_RANGE = [1, 100000] as const;
// Syslog header modes (docs/api.md, Syslog headers) and what each one stores.
const HEADER_MODES: { value: SyslogHeaderMode; label: string; help: string }[] = [
  { value: 'auto', label: 'Auto', help: 'RFC 5424, else RFC 3164 / BSD and device variants (Cisco, MikroTik): facility, severity, host, app, … as columns' },
  { value: 'rfc3164', label: 'RFC 3164 (BSD)', help: 'Only RFC 3164 / BSD headers and their device variants fill the header columns' },
  { value: 'rfc5424', label: 'RFC 5424', help: 'Only RFC 5424 headers fill the header columns' },
  { value: 'none', label: 'None', help: 'No header columns: the header stays in original_log only' },
];

/** outOfRange reports whether text is not an integer within [lo, hi]. */
function outOfRange(text: string, [lo, hi]: readonly [number, number]): boolean {
  const n = Number(text);
  return text.trim() === '' || !Number.isInteger(n) || n < lo || n > hi;
}

/** defaultRetention reads default_retention_days from the settings, or undefined while
 * they load or when they cannot be read (the server then applies its default itself). */
function defaultRetention(settings: Settings | undefined): number | undefined {
  const d = settings?.default_retention_days;
  return typeof d === 'number' && Number.isInteger(d) && d >= 0 ? d : undefined;
}

export function EngineDialog({ open, engine, onClose }: { open: boolean; engine?: EngineInfo; onClose: (saved?: string) => void }) {
  const editing = !!engine;
  const [f, setF] = useState<Form>(() => toForm(engine));
  // retentionTouched: the operator changed retention; until then a new engine follows the
  // server default as it loads.
  const [retentionTouched, setRetentionTouched] = useState(editing);
  const settings = useSettings();
  const serverDefault = defaultRetention(settings.data);
  const [err, setErr] = useState<ApiError | Error | null>(null);
  const classes = useClasses();
  const { create, update } = useEngineMutations();
  const zones = useMemo(timeZones, []);
  const busy = create.isPending || update.isPending;

  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((p) => ({ ...p, [k]: v }));
  const fieldErr = (name: string) => (err instanceof ApiError && err.field === name ? err.message : undefined);
  const generalErr = err && !(err instanceof ApiError && err.field && ['name', 'class', 'protocol', 'bind', 'port', 'timezone', 'retention_days', 'max_message_bytes', 'max_connections', 'tls_client_ca', 'syslog_header'].includes(err.field));

  const portNum = Number(f.port);
  const portInvalid = f.port !== '' && !(Number.isInteger(portNum) && portNum >= 1 && portNum <= 65535);
  const tcp = f.protocol !== 'udp'; // a stream: tcp or tls
  const tls = f.protocol === 'tls';
  const msgBytesInvalid = tcp && outOfRange(f.max_message_bytes, MESSAGE_BYTES_RANGE);
  const connsInvalid = tcp && outOfRange(f.max_connections, CONNECTIONS_RANGE);

  // What the retention controls show: the form once touched (or editing), else the server default.
  const followDefault = !retentionTouched && serverDefault !== undefined;
  const keepForever = followDefault ? serverDefault === 0 : f.keep_forever;
  const retentionText = followDefault ? (serverDefault > 0 ? String(serverDefault) : '') : f.retention_days;
  const retentionNum = Number(retentionText);
  // Empty is allowed only for a new engine whose server default is not known (left out of
  // the POST, the server applies it); otherwise a number of days or keep-forever is needed.
  const retentionMissing = !keepForever && retentionText === '' && (editing || serverDefault !== undefined);
  const retentionInvalid =
    retentionMissing || (!keepForever && retentionText !== '' && !(Number.isInteger(retentionNum) && retentionNum >= 1 && retentionNum <= MAX_RETENTION_DAYS));
  const setRetention = (days: string, forever: boolean) => {
    setRetentionTouched(true);
    setF((p) => ({ ...p, retention_days: days, keep_forever: forever }));
  };
  const defaultHint =
    serverDefault === undefined
      ? settings.isPending
        ? 'Loading the server default…'
        : 'Left empty, the server default applies'
      : `Server default: ${serverDefault === 0 ? 'keep forever' : `${serverDefault} days`}`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    const spec: Partial<EngineSpec> = {
      class: f.class,
      protocol: f.protocol,
      syslog_header: f.syslog_header,
      bind: f.bind.trim() || '0.0.0.0',
      port: portNum,
      timezone: f.timezone,
      keep_original: f.keep_original,
      enabled: f.enabled,
    };
    // 0 only by an explicit keep-forever; an empty field (default not known) is left out
    // so the server applies its default (create) or keeps the current value (edit).
    if (tcp) {
      spec.max_message_bytes = Number(f.max_message_bytes);
      spec.max_connections = Number(f.max_connections);
    }
    if (tls) spec.tls_client_ca = f.tls_client_ca.trim();
    if (keepForever) spec.retention_days = 0;
    else if (retentionText !== '') spec.retention_days = retentionNum;
    try {
      if (editing) await update.mutateAsync({ name: engine.name, patch: spec });
      else await create.mutateAsync({ name: f.name.trim(), ...spec });
      onClose(editing ? engine.name : f.name.trim());
    } catch (e) {
      setErr(e instanceof Error ? e : new Error(errorMessage(e)));
    }
  };

  return (
    <Dialog open={open} onClose={() => !busy && onClose()} fullWidth maxWidth="sm" aria-labelledby="engine-dialog-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="engine-dialog-title">{editing ? `Edit engine ${engine.name}` : 'Create engine'}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {generalErr && <Alert severity="error">{errorMessage(err)}</Alert>}
            <TextField
              label="Name"
              value={f.name}
              onChange={(e) => set('name', e.target.value)}
              disabled={editing}
              required
              error={!!fieldErr('name')}
              helperText={fieldErr('name') ?? 'Lowercase letters, digits, - and _'}
              slotProps={{ htmlInput: { pattern: '[a-z0-9][a-z0-9_-]{0,62}' } }}
            />
            <TextField
              select
              label="Class"
              value={classes.data?.some((c) => c.name === f.class) ? f.class : ''}
              onChange={(e) => set('class', e.target.value)}
              required
              error={!!fieldErr('class') || !!classes.error}
              helperText={fieldErr('class') ?? (classes.error ? errorMessage(classes.error) : classes.isPending ? 'Loading classes…' : ' ')}
            >
              {(classes.data ?? []).map((c) => (
                <MenuItem key={c.name} value={c.name}>
                  {c.name}
                </MenuItem>
              ))}
            </TextField>
            <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
              <TextField
                select
                label="Protocol"
                value={f.protocol}
                onChange={(e) => set('protocol', asProtocol(e.target.value))}
                error={!!fieldErr('protocol')}
                helperText={fieldErr('protocol') ?? (tls ? 'RFC 5425, usually port 6514' : tcp ? 'RFC 6587: octet counting or LF' : 'Datagrams')}
                sx={{ minWidth: 120 }}
              >
                <MenuItem value="udp">UDP</MenuItem>
                <MenuItem value="tcp">TCP</MenuItem>
                <MenuItem value="tls">TLS</MenuItem>
              </TextField>
              <TextField
                label="Bind address"
                value={f.bind}
                onChange={(e) => set('bind', e.target.value)}
                error={!!fieldErr('bind')}
                helperText={fieldErr('bind') ?? '0.0.0.0 = all interfaces'}
                fullWidth
              />
              <TextField
                label={`${tcp ? 'TCP' : 'UDP'} port`}
                type="number"
                value={f.port}
                onChange={(e) => set('port', e.target.value)}
                required
                error={portInvalid || !!fieldErr('port')}
                helperText={fieldErr('port') ?? (portInvalid ? '1 to 65535' : ' ')}
                slotProps={{ htmlInput: { min: 1, max: 65535 } }}
                fullWidth
              />
            </Stack>
            {tcp && (
              <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} data-testid="tcp-limits">
                <TextField
                  label="Max message bytes"
                  type="number"
                  value={f.max_message_bytes}
                  onChange={(e) => set('max_message_bytes', e.target.value)}
                  error={msgBytesInvalid || !!fieldErr('max_message_bytes')}
                  helperText={
                    fieldErr('max_message_bytes') ??
                    (msgBytesInvalid ? `${MESSAGE_BYTES_RANGE[0]} to ${MESSAGE_BYTES_RANGE[1]}` : 'Longer LF messages are cut; a longer octet count closes the connection')
                  }
                  slotProps={{ htmlInput: { min: MESSAGE_BYTES_RANGE[0], max: MESSAGE_BYTES_RANGE[1] } }}
                  fullWidth
                />
                <TextField
                  label="Max connections"
                  type="number"
                  value={f.max_connections}
                  onChange={(e) => set('max_connections', e.target.value)}
                  error={connsInvalid || !!fieldErr('max_connections')}
                  helperText={fieldErr('max_connections') ?? (connsInvalid ? `${CONNECTIONS_RANGE[0]} to ${CONNECTIONS_RANGE[1]}` : 'The next one is refused')}
                  slotProps={{ htmlInput: { min: CONNECTIONS_RANGE[0], max: CONNECTIONS_RANGE[1] } }}
                  fullWidth
                />
              </Stack>
            )}
            <TextField
              select
              label="Syslog header"
              value={f.syslog_header}
              onChange={(e) => set('syslog_header', e.target.value as SyslogHeaderMode)}
              error={!!fieldErr('syslog_header')}
              helperText={
                fieldErr('syslog_header') ??
                `${HEADER_MODES.find((m) => m.value === f.syslog_header)?.help ?? ''}${editing && f.syslog_header !== engine.syslog_header ? '. Saving restarts the engine.' : ''}`
              }
            >
              {HEADER_MODES.map((m) => (
                <MenuItem key={m.value} value={m.value}>
                  {m.label}
                </MenuItem>
              ))}
            </TextField>
            {tls && (
              <Stack spacing={1} data-testid="tls-fields">
                <TextField
                  label="Client CA file (PEM path on the server)"
                  value={f.tls_client_ca}
                  onChange={(e) => set('tls_client_ca', e.target.value)}
                  error={!!fieldErr('tls_client_ca')}
                  helperText={fieldErr('tls_client_ca') ?? 'When set, every sender must present a certificate signed by one of these CAs; empty accepts any sender'}
                  fullWidth
                />
                <TlsCertificate />
              </Stack>
            )}
            <Autocomplete
              options={zones}
              value={f.timezone}
              onChange={(_e, v) => set('timezone', v ?? '')}
              disableClearable
              renderInput={(p) => <TextField {...p} label="Timezone" error={!!fieldErr('timezone')} helperText={fieldErr('timezone') ?? 'Used for day files and the time column'} />}
            />
            <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} sx={{ alignItems: { sm: 'flex-start' } }}>
              <TextField
                label="Retention days"
                type="number"
                value={keepForever ? '' : retentionText}
                onChange={(e) => setRetention(e.target.value, false)}
                disabled={keepForever}
                error={retentionInvalid || !!fieldErr('retention_days')}
                helperText={
                  fieldErr('retention_days') ??
                  (retentionInvalid ? `1 to ${MAX_RETENTION_DAYS} days, or keep logs forever` : `Older day files are deleted. ${defaultHint}`)
                }
                slotProps={{ htmlInput: { min: 1, max: MAX_RETENTION_DAYS } }}
                fullWidth
              />
              <FormControlLabel
                sx={{ minWidth: 'max-content', pt: { sm: 1 } }}
                control={
                  <Switch
                    checked={keepForever}
                    onChange={(e) =>
                      setRetention(e.target.checked ? '' : retentionText || (serverDefault && serverDefault > 0 ? String(serverDefault) : ''), e.target.checked)
                    }
                  />
                }
                label="Keep logs forever"
              />
            </Stack>
            {keepForever && (
              <Alert severity="warning" data-testid="keep-forever-warning">
                Keep forever: this engine&apos;s day files are never deleted by retention. The disk fills up unless days are
                deleted by hand or the disk guard (policy delete_oldest) deletes the oldest days when free space runs short.
              </Alert>
            )}
            <FormControlLabel control={<Switch checked={f.keep_original} onChange={(e) => set('keep_original', e.target.checked)} />} label="Keep original log" />
            <FormControlLabel control={<Switch checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} />} label="Enabled (start now and on boot)" />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => onClose()} disabled={busy}>
            Cancel
          </Button>
          <Button
            type="submit"
            variant="contained"
            disabled={busy || !f.class || !f.port || portInvalid || retentionInvalid || msgBytesInvalid || connsInvalid || (!editing && !f.name.trim())}
            startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}
          >
            {editing ? 'Save' : 'Create'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
