import { Alert, Box, Button, CircularProgress, Paper, Stack, TextField, Typography } from '@mui/material';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { useAuth } from './authContext';

export const MIN_PASSWORD = 10;

export default function ChangePasswordPage() {
  const { user, changePassword, logout } = useAuth();
  const navigate = useNavigate();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<{ msg: string; field?: string } | null>(null);

  if (!user) return <Navigate to="/login" replace />;
  const forced = user.must_change_password;

  const tooShort = next.length > 0 && next.length < MIN_PASSWORD;
  const mismatch = confirm.length > 0 && confirm !== next;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next.length < MIN_PASSWORD || next !== confirm) return;
    setBusy(true);
    setErr(null);
    try {
      await changePassword(current, next);
      navigate('/engines', { replace: true });
    } catch (e) {
      setErr({ msg: errorMessage(e), field: e instanceof ApiError ? e.field : undefined });
      setBusy(false);
    }
  };

  return (
    <Box sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', p: 2 }}>
      <Paper component="form" onSubmit={submit} sx={{ p: 3, width: '100%', maxWidth: 420 }} aria-label="Change password">
        <Stack spacing={2}>
          <Typography variant="h5" component="h1">
            Change password
          </Typography>
          {forced && <Alert severity="info">You must choose a new password before you continue.</Alert>}
          {err && !err.field && <Alert severity="error">{err.msg}</Alert>}
          <TextField
            label="Current password"
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            required
            error={err?.field === 'current'}
            helperText={err?.field === 'current' ? err.msg : undefined}
          />
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            required
            error={tooShort || err?.field === 'new'}
            helperText={err?.field === 'new' ? err.msg : `At least ${MIN_PASSWORD} characters`}
          />
          <TextField
            label="Confirm new password"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            required
            error={mismatch}
            helperText={mismatch ? 'The passwords differ' : ' '}
          />
          <Stack direction="row" spacing={1} sx={{ justifyContent: 'flex-end' }}>
            {forced ? (
              <Button onClick={() => logout().then(() => navigate('/login'))} disabled={busy}>
                Sign out
              </Button>
            ) : (
              <Button onClick={() => navigate(-1)} disabled={busy}>
                Cancel
              </Button>
            )}
            <Button
              type="submit"
              variant="contained"
              disabled={busy || next.length < MIN_PASSWORD || next !== confirm}
              startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}
            >
              Change password
            </Button>
          </Stack>
        </Stack>
      </Paper>
    </Box>
  );
}
