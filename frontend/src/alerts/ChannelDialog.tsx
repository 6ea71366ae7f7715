// Create / edit an alert channel (webhook, Telegram, email). The type is fixed once created.
// Secrets are never shown: each says "set" or "not set", and a value typed in replaces the
// stored one (left empty, the server keeps it). A server 400 lands on the field it names.
import Add from '@mui/icons-material/Add';
import Close from '@mui/icons-material/Close';
import {
  Alert,
  Box,
  Button,
  Chip,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  IconButton,
  MenuItem,
  Stack,
  Switch,
  TextField,
  Typography,
} from '@mui/material';
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { useChannelMutations } from '../api/queries';
import type { Channel, ChannelType, EmailTLS } from '../api/types';
import { CHANNEL_TYPES, channelToForm, defaultPort, formToChannel, newHeader, validateChannel, type ChannelForm, type HeaderRow } from './channelForm';

const FIELDS: Record<ChannelType, string[]> = {
  webhook: ['url', 'secret', 'headers'],
  telegram: ['token', 'chat_id', 'api_url'],
  email: ['host', 'port', 'tls', 'username', 'password', 'from', 'to'],
};

/** SecretField edits a write-only value: the stored one is never shown, only whether it is set. */
function SecretField({
  label,
  value,
  onChange,
  isSet,
  editing,
  error,
  required,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  isSet: boolean;
  editing: boolean;
  error?: string;
  required?: boolean;
}) {
  const hint = editing ? (isSet ? 'Set. Type a new value to replace it; empty keeps it.' : 'Not set.') : required ? ' ' : 'Optional';
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
      <TextField
        label={editing && isSet ? `New ${label.toLowerCase()}` : label}
        type="password"
        autoComplete="new-password"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        required={required && !isSet}
        error={!!error}
        helperText={error ?? hint}
        fullWidth
      />
      {editing && (
        <Chip
          size="small"
          sx={{ mt: 2 }}
          label={isSet ? 'set' : 'not set'}
          color={isSet ? 'success' : 'default'}
          variant="outlined"
          data-testid={`${label.toLowerCase().replace(/\W+/g, '-')}-state`}
        />
      )}
    </Stack>
  );
}

export function ChannelDialog({ channel, onClose }: { channel?: Channel; onClose: (saved?: string) => void }) {
  const editing = !!channel;
  const [f, setF] = useState<ChannelForm>(() => channelToForm(channel));
  const [err, setErr] = useState<Error | null>(null);
  const [tried, setTried] = useState(false);
  const { create, update } = useChannelMutations();
  const busy = create.isPending || update.isPending;

  const set = <K extends keyof ChannelForm>(k: K, v: ChannelForm[K]) => setF((p) => ({ ...p, [k]: v }));
  const setHeader = (i: number, patch: Partial<Omit<HeaderRow, 'id'>>) => setF((p) => ({ ...p, headers: p.headers.map((h, k) => (k === i ? { ...h, ...patch } : h)) }));
  const problems = validateChannel(f, channel);
  const apiField = err instanceof ApiError ? err.field : undefined;
  const apiTop = apiField?.replace(/[[.].*$/, '');
  // the server's message on this field ("to[1]" lands on "to"), else (after a save was tried) the form's
  const problem = (field: string) => (apiField && (apiField === field || apiTop === field) ? err!.message : tried ? problems[field] : undefined);
  const onField = !!apiTop && (['name', 'type', 'enabled'].includes(apiTop) || FIELDS[f.type].includes(apiTop));
  const generalErr = err && !onField ? errorMessage(err) : null;
  // headers.<Name> or headers[i] from the server: shown under the headers
  const headersErr = apiTop === 'headers' && !/^headers\[\d+\]$/.test(apiField ?? '') ? err!.message : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    setTried(true);
    if (Object.keys(problems).length > 0) return;
    try {
      const body = formToChannel(f);
      if (editing) await update.mutateAsync({ name: channel.name, body });
      else await create.mutateAsync(body);
      onClose(body.name);
    } catch (e) {
      setErr(e instanceof Error ? e : new Error(errorMessage(e)));
    }
  };

  const text = (field: keyof ChannelForm & string, label: string, help = ' ', extra?: { required?: boolean; type?: string; fullWidth?: boolean }) => (
    <TextField
      label={label}
      value={f[field] as string}
      onChange={(e) => set(field, e.target.value)}
      error={!!problem(field)}
      helperText={problem(field) ?? help}
      required={extra?.required}
      type={extra?.type}
      fullWidth={extra?.fullWidth ?? true}
    />
  );

  return (
    <Dialog open onClose={() => !busy && onClose()} fullWidth maxWidth="sm" aria-labelledby="channel-dialog-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="channel-dialog-title">{editing ? `Edit channel ${channel.name}` : 'Create channel'}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {generalErr && <Alert severity="error">{generalErr}</Alert>}
            <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
              <TextField
                label="Name"
                value={f.name}
                onChange={(e) => set('name', e.target.value)}
                disabled={editing}
                required
                error={!!problem('name')}
                helperText={problem('name') ?? 'Letters, digits, _ and -'}
                fullWidth
              />
              <TextField
                select
                label="Type"
                value={f.type}
                onChange={(e) => set('type', e.target.value as ChannelType)}
                disabled={editing}
                error={!!problem('type')}
                helperText={problem('type') ?? (editing ? 'Fixed once created' : ' ')}
                sx={{ minWidth: 170 }}
              >
                {CHANNEL_TYPES.map((t) => (
                  <MenuItem key={t.value} value={t.value}>
                    {t.label}
                  </MenuItem>
                ))}
              </TextField>
            </Stack>

            {f.type === 'webhook' && (
              <>
                {text('url', 'URL', 'The alert is POSTed here as JSON', { required: true })}
                <SecretField
                  label="Secret"
                  value={f.secret}
                  onChange={(v) => set('secret', v)}
                  isSet={!!channel?.secret_set}
                  editing={editing}
                  error={problem('secret')}
                />
                <Typography variant="caption" color="text.secondary">
                  With a secret, each POST carries X-Logsieve-Signature: sha256=HMAC of the body.
                </Typography>
                <Box>
                  <Typography variant="subtitle2">Headers</Typography>
                  {headersErr && (
                    <Typography variant="caption" color="error" role="alert">
                      {headersErr}
                    </Typography>
                  )}
                </Box>
                {f.headers.map((h, i) => (
                  <Stack key={h.id} direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
                    <TextField
                      label={`Header ${i + 1} name`}
                      value={h.key}
                      onChange={(e) => setHeader(i, { key: e.target.value })}
                      error={!!problem(`headers[${i}]`)}
                      helperText={problem(`headers[${i}]`) ?? ' '}
                      fullWidth
                    />
                    <TextField label={`Header ${i + 1} value`} value={h.value} onChange={(e) => setHeader(i, { value: e.target.value })} helperText=" " fullWidth />
                    <IconButton aria-label={`Remove header ${i + 1}`} onClick={() => set('headers', f.headers.filter((_, k) => k !== i))} sx={{ mt: 1 }}>
                      <Close />
                    </IconButton>
                  </Stack>
                ))}
                <Box>
                  <Button startIcon={<Add />} onClick={() => set('headers', [...f.headers, newHeader()])}>
                    Add header
                  </Button>
                </Box>
              </>
            )}

            {f.type === 'telegram' && (
              <>
                <SecretField
                  label="Bot token"
                  value={f.token}
                  onChange={(v) => set('token', v)}
                  isSet={!!channel?.token_set}
                  editing={editing}
                  error={problem('token')}
                  required
                />
                {text('chat_id', 'Chat id', 'The chat, group or channel the bot writes to', { required: true })}
                {text('api_url', 'API base URL', 'https://api.telegram.org unless you run a Bot API server')}
              </>
            )}

            {f.type === 'email' && (
              <>
                <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
                  {text('host', 'SMTP host', ' ', { required: true })}
                  <TextField
                    select
                    label="TLS"
                    value={f.tls}
                    onChange={(e) => {
                      const tls = e.target.value as EmailTLS;
                      // follow the port that goes with the mode unless one was typed
                      setF((p) => ({ ...p, tls, port: p.port === defaultPort(p.tls) ? defaultPort(tls) : p.port }));
                    }}
                    error={!!problem('tls')}
                    helperText={problem('tls') ?? ' '}
                    sx={{ minWidth: 140 }}
                  >
                    <MenuItem value="starttls">STARTTLS</MenuItem>
                    <MenuItem value="tls">TLS</MenuItem>
                    <MenuItem value="none">None</MenuItem>
                  </TextField>
                  <TextField
                    label="Port"
                    type="number"
                    value={f.port}
                    onChange={(e) => set('port', e.target.value)}
                    error={!!problem('port')}
                    helperText={problem('port') ?? ' '}
                    required
                    slotProps={{ htmlInput: { min: 1, max: 65535 } }}
                    sx={{ minWidth: 110 }}
                  />
                </Stack>
                <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
                  {text('username', 'Username', 'Empty: no authentication')}
                  <Box sx={{ width: '100%' }}>
                    <SecretField
                      label="Password"
                      value={f.password}
                      onChange={(v) => set('password', v)}
                      isSet={!!channel?.password_set}
                      editing={editing}
                      error={problem('password')}
                    />
                  </Box>
                </Stack>
                {text('from', 'From', ' ', { required: true })}
                <TextField
                  label="To"
                  value={f.to}
                  onChange={(e) => set('to', e.target.value)}
                  multiline
                  minRows={2}
                  required
                  error={!!problem('to')}
                  helperText={problem('to') ?? 'One address per line'}
                />
              </>
            )}
            <FormControlLabel control={<Switch checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} />} label="Enabled" />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => onClose()} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={busy} startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}>
            {editing ? 'Save' : 'Create'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
