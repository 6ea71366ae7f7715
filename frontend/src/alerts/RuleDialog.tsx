// Create / edit an alert rule. Log rules: conditions (ANDed) and/or a word, at least N rows
// within a window, optional group-by; health rules: one condition with its threshold or
// sender. Client-side problems show once a save was tried; a server 400 lands on the field
// it names (when[1].value on the value of the second condition).
import Add from '@mui/icons-material/Add';
import Close from '@mui/icons-material/Close';
import {
  Alert,
  Autocomplete,
  Box,
  Button,
  Checkbox,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  IconButton,
  ListItemText,
  MenuItem,
  Stack,
  Switch,
  TextField,
  Typography,
} from '@mui/material';
import { useMemo, useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { useAlertChannels, useClasses, useEngines, useRuleMutations } from '../api/queries';
import type { ConditionOp, HealthCondition, Rule } from '../api/types';
import {
  ALL_ENGINES,
  changeOp,
  columnSuggestions,
  conditionField,
  fieldsShown,
  formToRule,
  HEALTH,
  healthInfo,
  newCondition,
  OPS,
  ruleToForm,
  validateRule,
  type ConditionRow,
  type RuleForm,
} from './ruleForm';

function ColumnInput({
  label,
  value,
  options,
  onChange,
  error,
  helperText,
}: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
  error?: boolean;
  helperText?: string;
}) {
  return (
    <Autocomplete
      freeSolo
      options={options}
      inputValue={value}
      onInputChange={(_e, v) => onChange(v)}
      sx={{ flex: 1, minWidth: 150 }}
      renderInput={(p) => <TextField {...p} label={label} error={error} helperText={helperText ?? ' '} />}
    />
  );
}

export function RuleDialog({ rule, onClose }: { rule?: Rule; onClose: (saved?: string) => void }) {
  const editing = !!rule;
  const [f, setF] = useState<RuleForm>(() => ruleToForm(rule));
  const [err, setErr] = useState<Error | null>(null);
  const [tried, setTried] = useState(false);
  const engines = useEngines();
  const classes = useClasses();
  const channels = useAlertChannels();
  const { create, update } = useRuleMutations();
  const busy = create.isPending || update.isPending;

  const set = <K extends keyof RuleForm>(k: K, v: RuleForm[K]) => setF((p) => ({ ...p, [k]: v }));
  const setRow = (i: number, patch: Partial<Omit<ConditionRow, 'id'>>) => setF((p) => ({ ...p, when: p.when.map((c, k) => (k === i ? { ...c, ...patch } : c)) }));

  const problems = validateRule(f, editing);
  const apiField = err instanceof ApiError ? err.field : undefined;
  /** problem: the server's message for this field, else (after a save was tried) the form's. */
  const problem = (field: string) => (apiField === field ? err!.message : tried ? problems[field] : undefined);
  const shown = fieldsShown(f);
  const generalErr = err && !(apiField && shown(apiField)) ? errorMessage(err) : null;

  const columns = useMemo(() => {
    const chosen = (engines.data ?? []).filter((e) => f.engine === ALL_ENGINES || e.name === f.engine);
    return columnSuggestions(chosen.map((e) => ({ syslog_header: e.syslog_header, columns: classes.data?.find((c) => c.name === e.class)?.columns ?? [] })));
  }, [f.engine, engines.data, classes.data]);
  const info = healthInfo(f.health);
  // the rule's engine is listed even while the engines load (or once it is gone)
  const engineNames = engines.data?.map((e) => e.name) ?? [];
  const engineOptions = [...engineNames, ...(f.engine !== ALL_ENGINES && !engineNames.includes(f.engine) ? [f.engine] : [])];
  const channelNames = channels.data?.map((c) => c.name) ?? [];
  // a channel of the rule that no longer exists stays listed so it can be removed
  const channelOptions = [...channelNames, ...f.channels.filter((c) => !channelNames.includes(c))];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    setTried(true);
    if (Object.keys(problems).length > 0) return;
    try {
      const body = formToRule(f);
      if (editing) await update.mutateAsync({ name: rule.name, body });
      else await create.mutateAsync(body);
      onClose(body.name);
    } catch (e) {
      setErr(e instanceof Error ? e : new Error(errorMessage(e)));
    }
  };

  const whenProblem = problem('when');
  return (
    <Dialog open onClose={() => !busy && onClose()} fullWidth maxWidth="md" aria-labelledby="rule-dialog-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="rule-dialog-title">{editing ? `Edit rule ${rule.name}` : 'Create rule'}</DialogTitle>
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
                label="Engine"
                value={f.engine}
                onChange={(e) => set('engine', e.target.value)}
                error={!!problem('engine') || !!engines.error}
                helperText={problem('engine') ?? (engines.error ? errorMessage(engines.error) : ' ')}
                fullWidth
              >
                <MenuItem value={ALL_ENGINES}>All engines</MenuItem>
                {engineOptions.map((name) => (
                  <MenuItem key={name} value={name}>
                    {name}
                  </MenuItem>
                ))}
              </TextField>
              <TextField
                select
                label="Kind"
                value={f.kind}
                onChange={(e) => set('kind', e.target.value as RuleForm['kind'])}
                error={!!problem('kind')}
                helperText={problem('kind') ?? ' '}
                sx={{ minWidth: 160 }}
              >
                <MenuItem value="log">Log rule</MenuItem>
                <MenuItem value="health">Health rule</MenuItem>
              </TextField>
            </Stack>

            {f.kind === 'log' ? (
              <>
                <Box>
                  <Typography variant="subtitle2">Conditions (all must hold)</Typography>
                  {whenProblem && (
                    <Typography variant="caption" color="error" role="alert">
                      {whenProblem}
                    </Typography>
                  )}
                </Box>
                {f.when.map((c, i) => {
                  const n = i + 1;
                  const rowErr = conditionField(apiField)?.row === i && conditionField(apiField)?.part === '' ? err!.message : undefined;
                  return (
                    <Stack key={c.id} direction={{ xs: 'column', sm: 'row' }} spacing={1} data-testid={`condition-${i}`} sx={{ alignItems: { sm: 'flex-start' } }}>
                      <ColumnInput
                        label={`Column ${n}`}
                        value={c.column}
                        options={columns}
                        onChange={(v) => setRow(i, { column: v })}
                        error={!!problem(`when[${i}].column`)}
                        helperText={problem(`when[${i}].column`)}
                      />
                      <TextField
                        select
                        label={`Operator ${n}`}
                        value={c.op}
                        onChange={(e) => setF((p) => ({ ...p, when: p.when.map((r, k) => (k === i ? changeOp(r, e.target.value as ConditionOp) : r)) }))}
                        error={!!problem(`when[${i}].op`)}
                        helperText={problem(`when[${i}].op`) ?? ' '}
                        sx={{ minWidth: 150 }}
                      >
                        {OPS.map((o) => (
                          <MenuItem key={o.value} value={o.value}>
                            {o.label}
                          </MenuItem>
                        ))}
                      </TextField>
                      <TextField
                        label={c.op === 'in' ? `Values ${n}` : `Value ${n}`}
                        value={c.value}
                        onChange={(e) => setRow(i, { value: e.target.value })}
                        multiline={c.op === 'in'}
                        minRows={c.op === 'in' ? 2 : undefined}
                        error={!!problem(`when[${i}].value`) || !!rowErr}
                        helperText={problem(`when[${i}].value`) ?? rowErr ?? (c.op === 'in' ? 'One value per line' : c.op === 'matches' ? 'RE2 regular expression' : ' ')}
                        sx={{ flex: 1, minWidth: 150 }}
                      />
                      <IconButton aria-label={`Remove condition ${n}`} onClick={() => set('when', f.when.filter((_, k) => k !== i))} sx={{ mt: 1 }}>
                        <Close />
                      </IconButton>
                    </Stack>
                  );
                })}
                <Box>
                  <Button startIcon={<Add />} onClick={() => set('when', [...f.when, newCondition()])}>
                    Add condition
                  </Button>
                </Box>
                <TextField
                  label="Word"
                  value={f.word}
                  onChange={(e) => set('word', e.target.value)}
                  error={!!problem('word')}
                  helperText={problem('word') ?? 'A whole word anywhere in the row (any case); with conditions, both must hold'}
                />
                <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
                  <TextField
                    label="At least (rows)"
                    type="number"
                    value={f.count}
                    onChange={(e) => set('count', e.target.value)}
                    error={!!problem('count')}
                    helperText={problem('count') ?? ' '}
                    slotProps={{ htmlInput: { min: 1 } }}
                    fullWidth
                  />
                  <TextField
                    label="Window (s)"
                    type="number"
                    value={f.window_s}
                    onChange={(e) => set('window_s', e.target.value)}
                    error={!!problem('window_s')}
                    helperText={problem('window_s') ?? ' '}
                    slotProps={{ htmlInput: { min: 1 } }}
                    fullWidth
                  />
                  <TextField
                    label="Cooldown (s)"
                    type="number"
                    value={f.cooldown_s}
                    onChange={(e) => set('cooldown_s', e.target.value)}
                    error={!!problem('cooldown_s')}
                    helperText={problem('cooldown_s') ?? 'One alert per cooldown (per group)'}
                    slotProps={{ htmlInput: { min: 0 } }}
                    fullWidth
                  />
                </Stack>
                <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
                  <ColumnInput
                    label="Group by"
                    value={f.group_by}
                    options={columns}
                    onChange={(v) => set('group_by', v)}
                    error={!!problem('group_by')}
                    helperText={problem('group_by') ?? 'Optional: one alert per value of this column'}
                  />
                  <TextField
                    label="Max groups"
                    type="number"
                    value={f.max_groups}
                    onChange={(e) => set('max_groups', e.target.value)}
                    error={!!problem('max_groups')}
                    helperText={problem('max_groups') ?? ' '}
                    slotProps={{ htmlInput: { min: 1 } }}
                    sx={{ minWidth: 150 }}
                  />
                </Stack>
              </>
            ) : (
              <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
                <TextField
                  select
                  label="Condition"
                  value={f.health}
                  onChange={(e) => set('health', e.target.value as HealthCondition)}
                  error={!!problem('health')}
                  helperText={problem('health') ?? ' '}
                  fullWidth
                >
                  {HEALTH.map((h) => (
                    <MenuItem key={h.value} value={h.value}>
                      {h.label}
                    </MenuItem>
                  ))}
                </TextField>
                {info?.threshold && (
                  <TextField
                    label={info.threshold}
                    type="number"
                    value={f.threshold}
                    onChange={(e) => set('threshold', e.target.value)}
                    error={!!problem('threshold')}
                    helperText={problem('threshold') ?? ' '}
                    fullWidth
                  />
                )}
                {info?.sender && (
                  <TextField
                    label="Sender"
                    value={f.sender}
                    onChange={(e) => set('sender', e.target.value)}
                    error={!!problem('sender')}
                    helperText={problem('sender') ?? 'A known sender (client name or IP) of the engine; empty: the engine as a whole'}
                    fullWidth
                  />
                )}
                <TextField
                  label="Cooldown (s)"
                  type="number"
                  value={f.cooldown_s}
                  onChange={(e) => set('cooldown_s', e.target.value)}
                  error={!!problem('cooldown_s')}
                  helperText={problem('cooldown_s') ?? ' '}
                  slotProps={{ htmlInput: { min: 0 } }}
                  fullWidth
                />
              </Stack>
            )}

            <TextField
              select
              label="Channels"
              value={f.channels}
              onChange={(e) => {
                const v = e.target.value as unknown as string[] | string;
                set('channels', typeof v === 'string' ? v.split(',') : v);
              }}
              error={!!problem('channels')}
              helperText={
                problem('channels') ??
                (channels.error ? errorMessage(channels.error) : channelOptions.length === 0 ? 'No channels yet: create one under Channels' : 'Where alerts are sent')
              }
              slotProps={{ select: { multiple: true, renderValue: (v) => (v as string[]).join(', ') } }}
            >
              {channelOptions.map((name) => (
                <MenuItem key={name} value={name}>
                  <Checkbox checked={f.channels.includes(name)} size="small" />
                  <ListItemText primary={name} />
                </MenuItem>
              ))}
            </TextField>
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
