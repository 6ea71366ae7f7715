// The rules list: condition, threshold, firing state and counts; admins create, edit,
// switch on/off and delete, viewers read.
import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import History from '@mui/icons-material/History';
import {
  Alert,
  Button,
  Chip,
  IconButton,
  Paper,
  Snackbar,
  Stack,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tooltip,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { errorMessage } from '../api/client';
import { useAlertRules, useRuleMutations } from '../api/queries';
import type { Rule } from '../api/types';
import { useAuth } from '../auth/authContext';
import { formatCount, formatDuration } from '../common/format';
import { ConfirmDialog, QueryView, ScrollBox } from '../common/ui';
import { RuleDialog } from './RuleDialog';
import { describeRule, describeThreshold, ruleToIn } from './ruleForm';
import { formatWhen } from './time';

function RuleState({ rule }: { rule: Rule }) {
  if (rule.firing) return <Chip size="small" color="error" label="firing" data-testid="rule-state" />;
  if (rule.enabled === false) return <Chip size="small" label="disabled" variant="outlined" data-testid="rule-state" />;
  return <Chip size="small" color="success" variant="outlined" label="ok" data-testid="rule-state" />;
}

export function RulesTab() {
  const rules = useAlertRules();
  const { isAdmin } = useAuth();
  const navigate = useNavigate();
  const { update, remove } = useRuleMutations();
  const [dialog, setDialog] = useState<{ rule?: Rule } | null>(null);
  const [toDelete, setToDelete] = useState<Rule | null>(null);
  const [msg, setMsg] = useState<string | null>(null);

  // switching shows the new state at once; the list (refetched when the PUT is done) then holds it
  const [switching, setSwitching] = useState<Record<string, boolean>>({});
  const toggle = async (r: Rule, enabled: boolean) => {
    setSwitching((m) => ({ ...m, [r.name]: enabled }));
    try {
      await update.mutateAsync({ name: r.name, body: { ...ruleToIn(r), enabled } });
    } catch (e) {
      setMsg(`Rule ${r.name}: ${errorMessage(e)}`);
    } finally {
      setSwitching(({ [r.name]: _done, ...rest }) => rest);
    }
  };

  return (
    <>
      <Stack direction="row" sx={{ justifyContent: 'space-between', alignItems: 'center', mb: 2, gap: 1, flexWrap: 'wrap' }}>
        <Typography variant="body2" color="text.secondary">
          A rule fires when its condition holds; it then waits its cooldown before alerting again.
        </Typography>
        {isAdmin && (
          <Button variant="contained" startIcon={<Add />} onClick={() => setDialog({})}>
            Create rule
          </Button>
        )}
      </Stack>
      <QueryView q={rules}>
        {(list) =>
          list.length === 0 ? (
            <Alert severity="info">No rules yet.{isAdmin ? ' Create a channel, then a rule that sends to it.' : ''}</Alert>
          ) : (
            <Paper variant="outlined">
              <ScrollBox>
                <Table size="small" aria-label="Rules">
                  <TableHead>
                    <TableRow>
                      <TableCell>Name</TableCell>
                      <TableCell>State</TableCell>
                      <TableCell>Engine</TableCell>
                      <TableCell>Condition</TableCell>
                      <TableCell>Threshold</TableCell>
                      <TableCell>Cooldown</TableCell>
                      <TableCell>Channels</TableCell>
                      <TableCell align="right">Fired</TableCell>
                      <TableCell align="right">Suppressed</TableCell>
                      <TableCell>Last fired</TableCell>
                      <TableCell>Enabled</TableCell>
                      <TableCell align="right">Actions</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {list.map((r) => (
                      <TableRow key={r.name} hover data-testid={`rule-row-${r.name}`}>
                        <TableCell>{r.name}</TableCell>
                        <TableCell>
                          <RuleState rule={r} />
                        </TableCell>
                        <TableCell>{r.engine || 'all'}</TableCell>
                        <TableCell sx={{ maxWidth: 320, overflowWrap: 'anywhere' }}>{describeRule(r)}</TableCell>
                        <TableCell sx={{ whiteSpace: 'nowrap' }}>{describeThreshold(r)}</TableCell>
                        <TableCell>{formatDuration(r.cooldown_s ?? 300)}</TableCell>
                        <TableCell>{(r.channels ?? []).join(', ') || '–'}</TableCell>
                        <TableCell align="right" data-testid="fired-total">
                          {formatCount(r.fired_total)}
                        </TableCell>
                        <TableCell align="right" data-testid="suppressed-total">
                          {formatCount(r.suppressed_total)}
                        </TableCell>
                        <TableCell sx={{ whiteSpace: 'nowrap' }}>{formatWhen(r.last_fired_at)}</TableCell>
                        <TableCell>
                          {isAdmin ? (
                            <Switch
                              size="small"
                              checked={switching[r.name] ?? r.enabled !== false}
                              disabled={r.name in switching}
                              onChange={(e) => toggle(r, e.target.checked)}
                              slotProps={{ input: { 'aria-label': `Enable rule ${r.name}` } }}
                            />
                          ) : r.enabled !== false ? (
                            'yes'
                          ) : (
                            'no'
                          )}
                        </TableCell>
                        <TableCell align="right">
                          <Stack direction="row" sx={{ justifyContent: 'flex-end' }}>
                            <Tooltip title="History">
                              <IconButton size="small" aria-label={`History of rule ${r.name}`} onClick={() => navigate(`/alerts/history?rule=${encodeURIComponent(r.name)}`)}>
                                <History />
                              </IconButton>
                            </Tooltip>
                            {isAdmin && (
                              <>
                                <Tooltip title="Edit">
                                  <IconButton size="small" aria-label={`Edit rule ${r.name}`} onClick={() => setDialog({ rule: r })}>
                                    <Edit />
                                  </IconButton>
                                </Tooltip>
                                <Tooltip title="Delete">
                                  <IconButton size="small" aria-label={`Delete rule ${r.name}`} onClick={() => setToDelete(r)}>
                                    <Delete />
                                  </IconButton>
                                </Tooltip>
                              </>
                            )}
                          </Stack>
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </ScrollBox>
            </Paper>
          )
        }
      </QueryView>
      {dialog && (
        <RuleDialog
          rule={dialog.rule}
          onClose={(saved) => {
            setDialog(null);
            if (saved) setMsg(`Rule ${saved} saved`);
          }}
        />
      )}
      <ConfirmDialog
        open={!!toDelete}
        title={`Delete rule ${toDelete?.name ?? ''}?`}
        text="The rule stops alerting; its past alerts stay in the history."
        onConfirm={() => remove.mutateAsync(toDelete!.name)}
        onClose={() => setToDelete(null)}
      />
      <Snackbar open={!!msg} autoHideDuration={6000} onClose={() => setMsg(null)} message={msg} />
    </>
  );
}
