// Known senders of one engine: list with rows per client, add, edit, reorder (match
// order), delete (optionally purging the client's rows, with progress) and accept_unknown.
import ArrowDownward from '@mui/icons-material/ArrowDownward';
import ArrowUpward from '@mui/icons-material/ArrowUpward';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Checkbox,
  FormControlLabel,
  IconButton,
  LinearProgress,
  Stack,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useState, type FormEvent } from 'react';
import { Link as RouterLink } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import type { ClientInfo, EngineInfo, Job } from '../api/types';
import { formatCount } from '../common/format';
import { ConfirmDialog, ErrorState, QueryView, ScrollBox } from '../common/ui';
import { matchHint, moveClient, specs } from './clientList';
import { useClientMutations, useClients, useJob } from './clientsApi';

function fieldError(err: unknown, field: string): string | undefined {
  return err instanceof ApiError && err.field === field ? err.message : undefined;
}

/** ClientForm adds a client, or edits one when `client` is given. */
function ClientForm({ engine, client, onDone }: { engine: string; client?: ClientInfo; onDone: () => void }) {
  const [name, setName] = useState(client?.name ?? '');
  const [match, setMatch] = useState(client?.match ?? '');
  const { add, update } = useClientMutations(engine);
  const m = client ? update : add;
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    try {
      const c = { name: name.trim(), match: match.trim() };
      if (client) await update.mutateAsync({ client: client.name, c });
      else await add.mutateAsync(c);
      setName('');
      setMatch('');
      onDone();
    } catch {
      // shown from m.error
    }
  };
  const err = m.error;
  const other = err && !fieldError(err, 'name') && !fieldError(err, 'match') ? errorMessage(err) : null;
  return (
    <Box component="form" onSubmit={submit} sx={{ mt: 1 }} aria-label={client ? `Edit client ${client.name}` : 'Add client'}>
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={1} sx={{ alignItems: { sm: 'flex-start' } }}>
        <TextField
          size="small"
          label="Client name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            if (m.error) m.reset();
          }}
          error={!!fieldError(err, 'name')}
          helperText={fieldError(err, 'name') ?? 'lowercase letters, digits, _ or -'}
          required
        />
        <TextField
          size="small"
          label="Match"
          value={match}
          onChange={(e) => {
            setMatch(e.target.value);
            if (m.error) m.reset();
          }}
          error={!!fieldError(err, 'match')}
          helperText={fieldError(err, 'match') ?? matchHint(match)}
          required
        />
        <Stack direction="row" spacing={1}>
          <Button type="submit" variant="contained" disabled={m.isPending}>
            {client ? 'Save' : 'Add client'}
          </Button>
          {client && <Button onClick={onDone}>Cancel</Button>}
        </Stack>
      </Stack>
      {other && (
        <Alert severity="error" sx={{ mt: 1 }}>
          {other}
        </Alert>
      )}
    </Box>
  );
}

/** PurgeProgress follows a purge job until it ends. */
function PurgeProgress({ id, onEnd }: { id: string; onEnd: (j: Job) => void }) {
  const job = useJob(id, onEnd);
  const j = job.data;
  return (
    <Box sx={{ mt: 1 }} data-testid="purge-progress">
      <Typography variant="body2">
        Deleting the rows of {j?.target ?? 'the client'}: {Math.round((j?.progress ?? 0) * 100)} %
      </Typography>
      <LinearProgress variant="determinate" value={(j?.progress ?? 0) * 100} />
    </Box>
  );
}

export function ClientsCard({ engine, isAdmin }: { engine: EngineInfo; isAdmin: boolean }) {
  const clients = useClients(engine.name);
  const { replace, remove, acceptUnknown } = useClientMutations(engine.name);
  const [editing, setEditing] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<string | null>(null);
  const [purge, setPurge] = useState(false);
  const [job, setJob] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const enc = encodeURIComponent;

  const move = (list: ClientInfo[], i: number, d: number) => replace.mutate(specs(moveClient(list, i, d)));
  const onJobEnd = (j: Job) => {
    setJob(null);
    setNote(j.state === 'done' ? `Deleted ${formatCount(j.deleted)} rows of ${j.target}.` : `Purge failed: ${j.error ?? 'unknown error'}`);
    clients.refetch();
  };

  return (
    <Card variant="outlined" data-testid="clients-card">
      <CardContent>
        <Typography variant="subtitle1" component="h2" gutterBottom>
          Clients
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          Known senders, matched in this order (first match wins). With none, every sender is accepted; once one exists, other senders are
          rejected and counted unless unknown senders are accepted.
        </Typography>
        {isAdmin && (
          <FormControlLabel
            control={
              <Switch checked={engine.accept_unknown} onChange={(e) => acceptUnknown.mutate(e.target.checked)} disabled={acceptUnknown.isPending} />
            }
            label="Accept unknown senders"
          />
        )}
        {acceptUnknown.error && <ErrorState error={acceptUnknown.error} />}
        {replace.error && <ErrorState error={replace.error} />}
        <QueryView q={clients}>
          {(list) => (
            <ScrollBox>
              <Table size="small" aria-label="Clients">
                <TableHead>
                  <TableRow>
                    <TableCell>#</TableCell>
                    <TableCell>Name</TableCell>
                    <TableCell>Match</TableCell>
                    <TableCell align="right">Rows</TableCell>
                    {isAdmin && <TableCell align="right">Actions</TableCell>}
                  </TableRow>
                </TableHead>
                <TableBody>
                  {(list ?? []).map((c, i) =>
                    editing === c.name ? (
                      <TableRow key={c.name}>
                        <TableCell colSpan={5}>
                          <ClientForm engine={engine.name} client={c} onDone={() => setEditing(null)} />
                        </TableCell>
                      </TableRow>
                    ) : (
                      <TableRow key={c.name} data-testid={`client-${c.name}`}>
                        <TableCell>{i + 1}</TableCell>
                        <TableCell>{c.name}</TableCell>
                        <TableCell sx={{ fontFamily: 'monospace' }}>{c.match}</TableCell>
                        <TableCell align="right">
                          <RouterLink to={`/engines/${enc(engine.name)}/logs?client=${enc(c.name)}`}>{formatCount(c.rows)}</RouterLink>
                        </TableCell>
                        {isAdmin && (
                          <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                            <Tooltip title="Match earlier">
                              <span>
                                <IconButton size="small" aria-label={`Move ${c.name} up`} disabled={i === 0 || replace.isPending} onClick={() => move(list, i, -1)}>
                                  <ArrowUpward fontSize="small" />
                                </IconButton>
                              </span>
                            </Tooltip>
                            <Tooltip title="Match later">
                              <span>
                                <IconButton
                                  size="small"
                                  aria-label={`Move ${c.name} down`}
                                  disabled={i === list.length - 1 || replace.isPending}
                                  onClick={() => move(list, i, 1)}
                                >
                                  <ArrowDownward fontSize="small" />
                                </IconButton>
                              </span>
                            </Tooltip>
                            <Tooltip title="Edit">
                              <IconButton size="small" aria-label={`Edit client ${c.name}`} onClick={() => setEditing(c.name)}>
                                <Edit fontSize="small" />
                              </IconButton>
                            </Tooltip>
                            <Tooltip title="Delete">
                              <IconButton
                                size="small"
                                aria-label={`Delete client ${c.name}`}
                                onClick={() => {
                                  setPurge(false);
                                  setToDelete(c.name);
                                }}
                              >
                                <Delete fontSize="small" />
                              </IconButton>
                            </Tooltip>
                          </TableCell>
                        )}
                      </TableRow>
                    ),
                  )}
                  {(list ?? []).length === 0 && (
                    <TableRow>
                      <TableCell colSpan={5}>No clients: every sender is accepted.</TableCell>
                    </TableRow>
                  )}
                </TableBody>
              </Table>
            </ScrollBox>
          )}
        </QueryView>
        {isAdmin && editing === null && <ClientForm engine={engine.name} onDone={() => undefined} />}
        {job && <PurgeProgress id={job} onEnd={onJobEnd} />}
        {note && (
          <Alert severity="info" sx={{ mt: 1 }} onClose={() => setNote(null)}>
            {note}
          </Alert>
        )}
      </CardContent>
      <ConfirmDialog
        open={!!toDelete}
        title={`Delete client ${toDelete ?? ''}?`}
        text={`Senders matching ${toDelete} are no longer named ${toDelete}${
          (clients.data ?? []).length <= 1 && !engine.accept_unknown ? '; with no client left, every sender is accepted' : ''
        }.`}
        onConfirm={async () => {
          const r = await remove.mutateAsync({ client: toDelete!, purge });
          if (r?.job) setJob(r.job.id);
        }}
        onClose={() => setToDelete(null)}
      >
        <FormControlLabel
          control={<Checkbox checked={purge} onChange={(e) => setPurge(e.target.checked)} />}
          label="Also delete its stored rows from every day (in the background)"
        />
      </ConfirmDialog>
    </Card>
  );
}
