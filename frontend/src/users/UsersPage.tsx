import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import LockReset from '@mui/icons-material/LockReset';
import {
  Alert,
  Button,
  Checkbox,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  IconButton,
  MenuItem,
  Paper,
  Snackbar,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
} from '@mui/material';
import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { useUserMutations, useUsers } from '../api/queries';
import type { Role } from '../api/types';
import { useAuth } from '../auth/authContext';
import { ConfirmDialog, PageHeader, QueryView, ScrollBox } from '../common/ui';

const MIN = 10;

function CreateUserDialog({ onClose }: { onClose: (msg?: string) => void }) {
  const { create } = useUserMutations();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [mustChange, setMustChange] = useState(true);
  const [err, setErr] = useState<ApiError | Error | null>(null);
  const f = (name: string) => (err instanceof ApiError && err.field === name ? err.message : undefined);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    try {
      await create.mutateAsync({ username: username.trim(), password, role, must_change_password: mustChange });
      onClose(`User ${username} created`);
    } catch (e) {
      setErr(e instanceof Error ? e : new Error(errorMessage(e)));
    }
  };
  return (
    <Dialog open onClose={() => !create.isPending && onClose()} fullWidth maxWidth="xs" aria-labelledby="create-user-title">
      <form onSubmit={submit}>
        <DialogTitle id="create-user-title">Create user</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {err && !(err instanceof ApiError && ['username', 'password', 'role'].includes(err.field ?? '')) && <Alert severity="error">{err.message}</Alert>}
            <TextField label="Username" value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" error={!!f('username')} helperText={f('username') ?? ' '} />
            <TextField
              label="Password"
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
              autoComplete="new-password"
              error={!!f('password') || (password.length > 0 && password.length < MIN)}
              helperText={f('password') ?? `At least ${MIN} characters`}
            />
            <TextField select label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} error={!!f('role')} helperText={f('role') ?? 'Viewers read, browse and export only'}>
              <MenuItem value="viewer">viewer</MenuItem>
              <MenuItem value="admin">admin</MenuItem>
            </TextField>
            <FormControlLabel control={<Checkbox checked={mustChange} onChange={(e) => setMustChange(e.target.checked)} />} label="Must change password at first login" />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => onClose()} disabled={create.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={create.isPending || !username.trim() || password.length < MIN} startIcon={create.isPending ? <CircularProgress size={16} color="inherit" /> : undefined}>
            Create
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function ResetPasswordDialog({ username, onClose }: { username: string; onClose: (msg?: string) => void }) {
  const { update } = useUserMutations();
  const [password, setPassword] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    try {
      await update.mutateAsync({ username, patch: { password } });
      onClose(`Password of ${username} reset`);
    } catch (e) {
      setErr(errorMessage(e));
    }
  };
  return (
    <Dialog open onClose={() => !update.isPending && onClose()} fullWidth maxWidth="xs" aria-labelledby="reset-title">
      <form onSubmit={submit}>
        <DialogTitle id="reset-title">Reset password of {username}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {err && <Alert severity="error">{err}</Alert>}
            <TextField label="New password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required helperText={`At least ${MIN} characters`} />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => onClose()} disabled={update.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={update.isPending || password.length < MIN} startIcon={update.isPending ? <CircularProgress size={16} color="inherit" /> : undefined}>
            Reset password
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

export default function UsersPage() {
  const users = useUsers();
  const { user: me } = useAuth();
  const { update, remove } = useUserMutations();
  const [creating, setCreating] = useState(false);
  const [resetFor, setResetFor] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);

  return (
    <>
      <PageHeader
        title="Users"
        actions={
          <Button variant="contained" startIcon={<Add />} onClick={() => setCreating(true)}>
            Create user
          </Button>
        }
      />
      <QueryView q={users}>
        {(list) => (
          <Paper variant="outlined">
            <ScrollBox>
              <Table size="small" aria-label="Users">
                <TableHead>
                  <TableRow>
                    <TableCell>Username</TableCell>
                    <TableCell>Role</TableCell>
                    <TableCell>Password</TableCell>
                    <TableCell align="right">Actions</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {list.map((u) => (
                    <TableRow key={u.username} data-testid={`user-row-${u.username}`}>
                      <TableCell>
                        {u.username}
                        {u.username === me?.username ? ' (you)' : ''}
                      </TableCell>
                      <TableCell>
                        <TextField
                          select
                          size="small"
                          variant="standard"
                          value={u.role}
                          onChange={(e) =>
                            update
                              .mutateAsync({ username: u.username, patch: { role: e.target.value as Role } })
                              .then(() => setMsg(`${u.username} is now ${e.target.value}`))
                              .catch((err) => setMsg(errorMessage(err)))
                          }
                          slotProps={{ htmlInput: { 'aria-label': `Role of ${u.username}` } }}
                          disabled={update.isPending}
                        >
                          <MenuItem value="viewer">viewer</MenuItem>
                          <MenuItem value="admin">admin</MenuItem>
                        </TextField>
                      </TableCell>
                      <TableCell>{u.must_change_password ? 'must change' : 'set'}</TableCell>
                      <TableCell align="right">
                        <Tooltip title="Reset password">
                          <IconButton size="small" aria-label={`Reset password of ${u.username}`} onClick={() => setResetFor(u.username)}>
                            <LockReset />
                          </IconButton>
                        </Tooltip>
                        <Tooltip title="Delete">
                          <IconButton size="small" aria-label={`Delete user ${u.username}`} onClick={() => setToDelete(u.username)}>
                            <Delete />
                          </IconButton>
                        </Tooltip>
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </ScrollBox>
          </Paper>
        )}
      </QueryView>
      {creating && (
        <CreateUserDialog
          onClose={(m) => {
            setCreating(false);
            if (m) setMsg(m);
          }}
        />
      )}
      {resetFor && (
        <ResetPasswordDialog
          username={resetFor}
          onClose={(m) => {
            setResetFor(null);
            if (m) setMsg(m);
          }}
        />
      )}
      <ConfirmDialog open={!!toDelete} title={`Delete user ${toDelete ?? ''}?`} text="The user can no longer sign in." onConfirm={() => remove.mutateAsync(toDelete!)} onClose={() => setToDelete(null)} />
      <Snackbar open={!!msg} autoHideDuration={6000} onClose={() => setMsg(null)} message={msg} />
    </>
  );
}
