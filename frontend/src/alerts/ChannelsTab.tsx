// The channels list: where each delivers, whether its secret is set, a "Send test" button
// (admin) with its result, and per channel the table of delivery attempts.
import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import ExpandLess from '@mui/icons-material/ExpandLess';
import ExpandMore from '@mui/icons-material/ExpandMore';
import Send from '@mui/icons-material/Send';
import {
  Alert,
  Box,
  Button,
  Chip,
  CircularProgress,
  Collapse,
  IconButton,
  Paper,
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
import { Fragment, useState } from 'react';
import { errorMessage } from '../api/client';
import { useAlertChannels, useChannelDeliveries, useChannelMutations } from '../api/queries';
import type { Channel, ChannelTestResult } from '../api/types';
import { useAuth } from '../auth/authContext';
import { ConfirmDialog, QueryView, ScrollBox } from '../common/ui';
import { ChannelDialog } from './ChannelDialog';
import { CHANNEL_TYPES, channelTarget, secretState } from './channelForm';
import { statusColor } from './history';
import { formatWhen } from './time';

function DeliveriesTable({ channel }: { channel: string }) {
  const q = useChannelDeliveries(channel);
  return (
    <QueryView q={q}>
      {(list) =>
        list.length === 0 ? (
          <Typography variant="body2" color="text.secondary" sx={{ p: 1 }}>
            No deliveries yet.
          </Typography>
        ) : (
          <ScrollBox maxHeight={360}>
            <Table size="small" aria-label={`Deliveries of ${channel}`} stickyHeader>
              <TableHead>
                <TableRow>
                  <TableCell>Time</TableCell>
                  <TableCell>Rule</TableCell>
                  <TableCell>Alert</TableCell>
                  <TableCell align="right">Attempt</TableCell>
                  <TableCell>Status</TableCell>
                  <TableCell align="right">HTTP</TableCell>
                  <TableCell>Error</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {list.map((d) => (
                  <TableRow key={d.id}>
                    <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatWhen(d.time)}</TableCell>
                    <TableCell>{d.rule || '–'}</TableCell>
                    <TableCell>{d.alert_id || '–'}</TableCell>
                    <TableCell align="right">{d.attempt}</TableCell>
                    <TableCell>
                      <Chip size="small" label={d.status} color={statusColor(d.status)} data-testid="delivery-status" />
                    </TableCell>
                    <TableCell align="right">{d.http_status || '–'}</TableCell>
                    <TableCell sx={{ maxWidth: 360, overflowWrap: 'anywhere' }}>{d.error || ''}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </ScrollBox>
        )
      }
    </QueryView>
  );
}

type TestOutcome = { channel: string; result?: ChannelTestResult; error?: unknown };

function TestResult({ outcome, onClose }: { outcome: TestOutcome; onClose: () => void }) {
  const ok = outcome.result?.ok === true;
  const text = outcome.error
    ? `Test of ${outcome.channel} not sent: ${errorMessage(outcome.error)}`
    : ok
      ? `Test of ${outcome.channel}: sent`
      : `Test of ${outcome.channel}: ${outcome.result?.status ?? 'failed'}${outcome.result?.error ? ` — ${outcome.result.error}` : ''}`;
  return (
    <Alert severity={ok ? 'success' : 'error'} onClose={onClose} sx={{ mb: 2 }} data-testid="test-result">
      {text}
    </Alert>
  );
}

export function ChannelsTab() {
  const channels = useAlertChannels();
  const { isAdmin } = useAuth();
  const { remove, test } = useChannelMutations();
  const [dialog, setDialog] = useState<{ channel?: Channel } | null>(null);
  const [toDelete, setToDelete] = useState<Channel | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<TestOutcome | null>(null);
  const [msg, setMsg] = useState<string | null>(null);

  const sendTest = async (name: string) => {
    setTesting(name);
    setOutcome(null);
    try {
      setOutcome({ channel: name, result: await test.mutateAsync(name) });
    } catch (e) {
      setOutcome({ channel: name, error: e });
    } finally {
      setTesting(null);
    }
  };

  return (
    <>
      <Stack direction="row" sx={{ justifyContent: 'space-between', alignItems: 'center', mb: 2, gap: 1, flexWrap: 'wrap' }}>
        <Typography variant="body2" color="text.secondary">
          Failed deliveries are retried with backoff for up to an hour; every attempt is listed under the channel.
        </Typography>
        {isAdmin && (
          <Button variant="contained" startIcon={<Add />} onClick={() => setDialog({})}>
            Create channel
          </Button>
        )}
      </Stack>
      {outcome && <TestResult outcome={outcome} onClose={() => setOutcome(null)} />}
      <QueryView q={channels}>
        {(list) =>
          list.length === 0 ? (
            <Alert severity="info">No channels yet.{isAdmin ? ' Create a webhook, Telegram or email channel for your rules to send to.' : ''}</Alert>
          ) : (
            <Paper variant="outlined">
              <ScrollBox>
                <Table size="small" aria-label="Channels">
                  <TableHead>
                    <TableRow>
                      <TableCell>Name</TableCell>
                      <TableCell>Type</TableCell>
                      <TableCell>Delivers to</TableCell>
                      <TableCell>Secret</TableCell>
                      <TableCell>Enabled</TableCell>
                      <TableCell align="right">Actions</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {list.map((c) => {
                      const expanded = open === c.name;
                      return (
                        <Fragment key={c.name}>
                          <TableRow hover data-testid={`channel-row-${c.name}`} sx={expanded ? { '& > td': { borderBottom: 'none' } } : undefined}>
                            <TableCell>{c.name}</TableCell>
                            <TableCell>{CHANNEL_TYPES.find((t) => t.value === c.type)?.label ?? c.type}</TableCell>
                            <TableCell>
                              <Box title={channelTarget(c)} sx={{ maxWidth: 320, minWidth: 120, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                                {channelTarget(c)}
                              </Box>
                            </TableCell>
                            <TableCell>
                              {secretState(c).map((s) => (
                                <Chip
                                  key={s.label}
                                  size="small"
                                  variant="outlined"
                                  color={s.set ? 'success' : 'default'}
                                  label={`${s.label} ${s.set ? 'set' : 'not set'}`}
                                  data-testid="secret-state"
                                />
                              ))}
                            </TableCell>
                            <TableCell>{c.enabled !== false ? 'yes' : 'no'}</TableCell>
                            <TableCell align="right">
                              <Stack direction="row" sx={{ justifyContent: 'flex-end', alignItems: 'center' }}>
                                {isAdmin && (
                                  <Button
                                    size="small"
                                    startIcon={testing === c.name ? <CircularProgress size={14} color="inherit" /> : <Send />}
                                    disabled={testing !== null}
                                    onClick={() => sendTest(c.name)}
                                    aria-label={`Send test to ${c.name}`}
                                  >
                                    Send test
                                  </Button>
                                )}
                                <Tooltip title={expanded ? 'Hide deliveries' : 'Deliveries'}>
                                  <IconButton size="small" aria-label={`Deliveries of channel ${c.name}`} aria-expanded={expanded} onClick={() => setOpen(expanded ? null : c.name)}>
                                    {expanded ? <ExpandLess /> : <ExpandMore />}
                                  </IconButton>
                                </Tooltip>
                                {isAdmin && (
                                  <>
                                    <Tooltip title="Edit">
                                      <IconButton size="small" aria-label={`Edit channel ${c.name}`} onClick={() => setDialog({ channel: c })}>
                                        <Edit />
                                      </IconButton>
                                    </Tooltip>
                                    <Tooltip title="Delete">
                                      <IconButton size="small" aria-label={`Delete channel ${c.name}`} onClick={() => setToDelete(c)}>
                                        <Delete />
                                      </IconButton>
                                    </Tooltip>
                                  </>
                                )}
                              </Stack>
                            </TableCell>
                          </TableRow>
                          {expanded && (
                            <TableRow>
                              <TableCell colSpan={6} sx={{ py: 0 }}>
                                <Collapse in={expanded} unmountOnExit>
                                  <Box sx={{ py: 1 }}>
                                    <DeliveriesTable channel={c.name} />
                                  </Box>
                                </Collapse>
                              </TableCell>
                            </TableRow>
                          )}
                        </Fragment>
                      );
                    })}
                  </TableBody>
                </Table>
              </ScrollBox>
            </Paper>
          )
        }
      </QueryView>
      {dialog && (
        <ChannelDialog
          channel={dialog.channel}
          onClose={(saved) => {
            setDialog(null);
            if (saved) setMsg(`Channel ${saved} saved`);
          }}
        />
      )}
      <ConfirmDialog
        open={!!toDelete}
        title={`Delete channel ${toDelete?.name ?? ''}?`}
        text="A channel that a rule still sends to cannot be deleted; remove it from those rules first."
        onConfirm={() => remove.mutateAsync(toDelete!.name)}
        onClose={() => setToDelete(null)}
      />
      <Snackbar open={!!msg} autoHideDuration={6000} onClose={() => setMsg(null)} message={msg} />
    </>
  );
}
