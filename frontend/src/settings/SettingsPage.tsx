// Server settings as a form of the keys GET /settings returns; admins save, viewers read.
import { Alert, Button, Card, CardContent, CircularProgress, FormControlLabel, MenuItem, Stack, Switch, TextField } from '@mui/material';
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { useSaveSettings, useSettings } from '../api/queries';
import type { Settings } from '../api/types';
import { useAuth } from '../auth/authContext';
import { PageHeader, QueryView } from '../common/ui';

const CHOICES: Record<string, string[]> = {
  disk_full_policy: ['delete_oldest', 'pause'],
  log_level: ['debug', 'info', 'warn', 'error'],
};

const label = (k: string) => k.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

function SettingsForm({ initial }: { initial: Settings }) {
  const { isAdmin } = useAuth();
  const save = useSaveSettings();
  const [values, setValues] = useState<Settings>(initial);
  const [err, setErr] = useState<ApiError | Error | null>(null);
  const [saved, setSaved] = useState(false);
  const fieldErr = (k: string) => (err instanceof ApiError && err.field === k ? err.message : undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    setSaved(false);
    try {
      const body: Settings = {};
      for (const [k, v] of Object.entries(values)) {
        body[k] = Array.isArray(initial[k]) && typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v;
      }
      await save.mutateAsync(body);
      setSaved(true);
    } catch (e) {
      setErr(e instanceof Error ? e : new Error(errorMessage(e)));
    }
  };

  return (
    <Card variant="outlined" component="form" onSubmit={submit}>
      <CardContent>
        <Stack spacing={2} sx={{ maxWidth: 520 }}>
          {!isAdmin && <Alert severity="info">Only an admin can change settings.</Alert>}
          {err && !(err instanceof ApiError && err.field && err.field in values) && <Alert severity="error">{err.message}</Alert>}
          {saved && <Alert severity="success">Settings saved.</Alert>}
          {Object.keys(values).filter((k) => initial[k] === null || Array.isArray(initial[k]) || typeof initial[k] !== 'object').map((k) => {
            const v = values[k];
            const set = (nv: Settings[string]) => setValues((p) => ({ ...p, [k]: nv }));
            if (typeof initial[k] === 'boolean') {
              return <FormControlLabel key={k} control={<Switch checked={!!v} onChange={(e) => set(e.target.checked)} disabled={!isAdmin} />} label={label(k)} />;
            }
            if (Array.isArray(initial[k])) {
              return (
                <TextField
                  key={k}
                  label={label(k)}
                  value={Array.isArray(v) ? v.join(', ') : String(v ?? '')}
                  onChange={(e) => set(e.target.value)}
                  disabled={!isAdmin}
                  error={!!fieldErr(k)}
                  helperText={fieldErr(k) ?? `${k} (comma-separated)`}
                />
              );
            }
            const choices = CHOICES[k];
            return (
              <TextField
                key={k}
                label={label(k)}
                select={!!choices}
                type={typeof initial[k] === 'number' ? 'number' : 'text'}
                value={v ?? ''}
                onChange={(e) => set(typeof initial[k] === 'number' ? (e.target.value === '' ? null : Number(e.target.value)) : e.target.value)}
                disabled={!isAdmin}
                error={!!fieldErr(k)}
                helperText={fieldErr(k) ?? k}
              >
                {choices?.map((c) => (
                  <MenuItem key={c} value={c}>
                    {c}
                  </MenuItem>
                ))}
              </TextField>
            );
          })}
          {isAdmin && (
            <Stack direction="row" spacing={1}>
              <Button type="submit" variant="contained" disabled={save.isPending} startIcon={save.isPending ? <CircularProgress size={16} color="inherit" /> : undefined}>
                Save settings
              </Button>
              <Button onClick={() => setValues(initial)} disabled={save.isPending}>
                Reset
              </Button>
            </Stack>
          )}
        </Stack>
      </CardContent>
    </Card>
  );
}

export default function SettingsPage() {
  const settings = useSettings();
  return (
    <>
      <PageHeader title="Settings" subtitle="Server-wide settings stored in the metadata database." />
      <QueryView q={settings}>{(s) => <SettingsForm key={JSON.stringify(s)} initial={s ?? {}} />}</QueryView>
    </>
  );
}
