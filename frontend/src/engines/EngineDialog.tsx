// Create / edit an engine; server-side 400/409 errors land on the field they name.
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
import { useClasses, useEngineMutations } from '../api/queries';
import type { EngineInfo, EngineSpec } from '../api/types';
import { timeZones } from '../common/format';

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
  bind: string;
  port: string;
  timezone: string;
  retention_days: string;
  keep_original: boolean;
  enabled: boolean;
}

function toForm(e?: EngineInfo): Form {
  return {
    name: e?.name ?? '',
    class: e?.class ?? '',
    bind: e?.bind ?? '0.0.0.0',
    port: e ? String(e.port) : '',
    timezone: e?.timezone ?? hostZone(),
    retention_days: e ? String(e.retention_days) : '0',
    keep_original: e?.keep_original ?? true,
    enabled: e?.enabled ?? true,
  };
}

export function EngineDialog({ open, engine, onClose }: { open: boolean; engine?: EngineInfo; onClose: (saved?: string) => void }) {
  const editing = !!engine;
  const [f, setF] = useState<Form>(() => toForm(engine));
  const [err, setErr] = useState<ApiError | Error | null>(null);
  const classes = useClasses();
  const { create, update } = useEngineMutations();
  const zones = useMemo(timeZones, []);
  const busy = create.isPending || update.isPending;

  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((p) => ({ ...p, [k]: v }));
  const fieldErr = (name: string) => (err instanceof ApiError && err.field === name ? err.message : undefined);
  const generalErr = err && !(err instanceof ApiError && err.field && ['name', 'class', 'bind', 'port', 'timezone', 'retention_days'].includes(err.field));

  const portNum = Number(f.port);
  const portInvalid = f.port !== '' && !(Number.isInteger(portNum) && portNum >= 1 && portNum <= 65535);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    const spec: Partial<EngineSpec> = {
      class: f.class,
      protocol: 'udp',
      bind: f.bind.trim() || '0.0.0.0',
      port: portNum,
      timezone: f.timezone,
      retention_days: Number(f.retention_days) || 0,
      keep_original: f.keep_original,
      enabled: f.enabled,
    };
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
                label="Bind address"
                value={f.bind}
                onChange={(e) => set('bind', e.target.value)}
                error={!!fieldErr('bind')}
                helperText={fieldErr('bind') ?? '0.0.0.0 = all interfaces'}
                fullWidth
              />
              <TextField
                label="UDP port"
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
            <Autocomplete
              options={zones}
              value={f.timezone}
              onChange={(_e, v) => set('timezone', v ?? '')}
              disableClearable
              renderInput={(p) => <TextField {...p} label="Timezone" error={!!fieldErr('timezone')} helperText={fieldErr('timezone') ?? 'Used for day files and the time column'} />}
            />
            <TextField
              label="Retention days"
              type="number"
              value={f.retention_days}
              onChange={(e) => set('retention_days', e.target.value)}
              error={!!fieldErr('retention_days')}
              helperText={fieldErr('retention_days') ?? '0 keeps every day'}
              slotProps={{ htmlInput: { min: 0 } }}
            />
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
            disabled={busy || !f.class || !f.port || portInvalid || (!editing && !f.name.trim())}
            startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}
          >
            {editing ? 'Save' : 'Create'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
