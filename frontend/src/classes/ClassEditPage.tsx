// Create / edit a class: ordered key/regex rows plus a live regex playground.
import Add from '@mui/icons-material/Add';
import ArrowDownward from '@mui/icons-material/ArrowDownward';
import ArrowUpward from '@mui/icons-material/ArrowUpward';
import Delete from '@mui/icons-material/Delete';
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  CircularProgress,
  IconButton,
  LinearProgress,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { testClass, useClasses, useClassMutations } from '../api/queries';
import type { ClassInfo, ClassTestResponse } from '../api/types';
import { useAuth } from '../auth/authContext';
import { formatPercent } from '../common/format';
import { ErrorState, Loading, PageHeader, ScrollBox } from '../common/ui';
import { useDebounced } from '../common/useDebounced';
import { fieldKey, keyProblem, moveRow, newRow, removeRow, rowsFromClass, toPatterns, updateRow, type KeyRow } from './keyRows';

const SAMPLE =
  '<869> 01:02:05 T8Y45jGZY prerouting: in:<pppoe-RRWLkNYEZ> out:(unknown 0), connection-state:established,snat proto TCP (ACK,FIN,PSH), 73.181.232.17:34921->176.13.130.56:13878, NAT (73.181.232.17:34921->95.110.59.28:11384)->176.13.130.56:13878, len 946';

export default function ClassEditPage() {
  const { name: routeName } = useParams();
  const classes = useClasses();
  if (routeName && classes.isPending) return <Loading />;
  if (routeName && classes.error) return <ErrorState error={classes.error} onRetry={() => classes.refetch()} />;
  const existing = routeName ? classes.data?.find((c) => c.name === routeName) : undefined;
  if (routeName && !existing) return <ErrorState error={`Class "${routeName}" does not exist.`} />;
  return <ClassEditor key={routeName ?? 'new'} existing={existing} />;
}

function ClassEditor({ existing }: { existing?: ClassInfo }) {
  const { isAdmin } = useAuth();
  const navigate = useNavigate();
  const { create, update } = useClassMutations();
  const [name, setName] = useState(existing?.name ?? '');
  const [rows, setRows] = useState<KeyRow[]>(() => (existing ? rowsFromClass(existing.patterns, existing.keys) : [newRow()]));
  const [lines, setLines] = useState('');
  const [saveErr, setSaveErr] = useState<ApiError | Error | null>(null);
  const readOnly = !isAdmin;
  const saving = create.isPending || update.isPending;

  // Playground: debounced POST /classes/test as the user types.
  const { patterns, keys } = useMemo(() => toPatterns(rows), [rows]);
  const sample = useMemo(() => lines.split(/\r?\n/).filter((l) => l.trim() !== ''), [lines]);
  const request = useDebounced(JSON.stringify({ patterns, lines: sample }), 300);
  const [test, setTest] = useState<{ busy: boolean; res: ClassTestResponse | null; err: ApiError | Error | null }>({ busy: false, res: null, err: null });
  useEffect(() => {
    const body = JSON.parse(request) as { patterns: Record<string, string>; lines: string[] };
    if (body.lines.length === 0 || Object.keys(body.patterns).length === 0) {
      setTest({ busy: false, res: null, err: null });
      return;
    }
    const ctl = new AbortController();
    setTest((t) => ({ ...t, busy: true }));
    testClass(body, ctl.signal).then(
      (res) => setTest({ busy: false, res, err: null }),
      (err) => {
        if (ctl.signal.aborted) return;
        setTest({ busy: false, res: null, err: err instanceof Error ? err : new Error(errorMessage(err)) });
      },
    );
    return () => ctl.abort();
  }, [request]);

  const errKey = (e: ApiError | Error | null) => (e instanceof ApiError ? fieldKey(e.field) : undefined);
  const keyError = (k: string): string | undefined => {
    if (saveErr && errKey(saveErr) === k) return saveErr.message;
    if (test.err && errKey(test.err) === k) return test.err.message;
    return undefined;
  };
  const knownKey = (e: ApiError | Error | null) => {
    const k = errKey(e);
    return !!k && (keys.includes(k) || k === 'name');
  };
  const problems = rows.map((_, i) => keyProblem(rows, i));
  const canSave = isAdmin && !saving && keys.length > 0 && problems.every((p) => !p) && (existing || /^[a-z0-9_]+$/.test(name));

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaveErr(null);
    try {
      if (existing) await update.mutateAsync({ name: existing.name, body: { patterns, keys } });
      else await create.mutateAsync({ name, patterns, keys });
      navigate('/classes');
    } catch (err) {
      setSaveErr(err instanceof Error ? err : new Error(errorMessage(err)));
    }
  };

  const matchRate = (k: string) => {
    const s = test.res?.keys?.[k];
    if (!s || sample.length === 0) return null;
    return { pct: (100 * s.matched) / sample.length, ns: s.ns_per_line, matched: s.matched };
  };

  return (
    <Box component="form" onSubmit={save}>
      <PageHeader
        title={existing ? `Class ${existing.name}` : 'Create class'}
        subtitle={existing?.engines?.length ? `Used by ${existing.engines.join(', ')}; changes apply live.` : undefined}
        actions={
          <>
            <Button onClick={() => navigate('/classes')} disabled={saving}>
              {readOnly ? 'Back' : 'Cancel'}
            </Button>
            {isAdmin && (
              <Button type="submit" variant="contained" disabled={!canSave} startIcon={saving ? <CircularProgress size={16} color="inherit" /> : undefined}>
                Save class
              </Button>
            )}
          </>
        }
      />
      {saveErr && !knownKey(saveErr) && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {saveErr.message}
        </Alert>
      )}
      <Stack spacing={2}>
        <Card variant="outlined">
          <CardContent>
            <Stack spacing={2}>
              <TextField
                label="Class name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                disabled={!!existing || readOnly}
                required
                error={(!!name && !/^[a-z0-9_]+$/.test(name)) || errKey(saveErr) === 'name'}
                helperText={errKey(saveErr) === 'name' ? saveErr?.message : 'Lowercase letters, digits and _'}
                sx={{ maxWidth: 360 }}
              />
              <Typography variant="subtitle1" component="h2">
                Keys (column order)
              </Typography>
              {rows.map((r, i) => {
                const k = r.key.trim();
                const rate = k ? matchRate(k) : null;
                const err = problems[i] ?? (k ? keyError(k) : undefined);
                return (
                  <Stack key={r.id} direction={{ xs: 'column', sm: 'row' }} spacing={1} sx={{ alignItems: { sm: 'flex-start' } }} data-testid={`key-row-${i}`}>
                    <TextField
                      label={`Key ${i + 1}`}
                      value={r.key}
                      onChange={(e) => setRows((rs) => updateRow(rs, i, { key: e.target.value }))}
                      size="small"
                      disabled={readOnly}
                      error={!!problems[i]}
                      helperText={problems[i] ?? (k.endsWith('_ip') ? `also ${k.slice(0, -3)}_port` : ' ')}
                      sx={{ width: { sm: 200 } }}
                    />
                    <TextField
                      label={`Regex ${i + 1}`}
                      value={r.regex}
                      onChange={(e) => setRows((rs) => updateRow(rs, i, { regex: e.target.value }))}
                      size="small"
                      disabled={readOnly}
                      error={!!err && !problems[i]}
                      helperText={(!problems[i] && err) || (rate ? `matched ${rate.matched}/${sample.length} (${formatPercent(rate.pct)}) · ${Math.round(rate.ns)} ns/line` : ' ')}
                      slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: 'monospace' } } }}
                      sx={{ flexGrow: 1 }}
                    />
                    {!readOnly && (
                      <Stack direction="row">
                        <IconButton aria-label={`Move key ${i + 1} up`} onClick={() => setRows((rs) => moveRow(rs, i, -1))} disabled={i === 0}>
                          <ArrowUpward />
                        </IconButton>
                        <IconButton aria-label={`Move key ${i + 1} down`} onClick={() => setRows((rs) => moveRow(rs, i, 1))} disabled={i === rows.length - 1}>
                          <ArrowDownward />
                        </IconButton>
                        <IconButton aria-label={`Remove key ${i + 1}`} onClick={() => setRows((rs) => removeRow(rs, i))} disabled={rows.length === 1}>
                          <Delete />
                        </IconButton>
                      </Stack>
                    )}
                  </Stack>
                );
              })}
              {!readOnly && (
                <Box>
                  <Button startIcon={<Add />} onClick={() => setRows((rs) => [...rs, newRow()])}>
                    Add key
                  </Button>
                </Box>
              )}
            </Stack>
          </CardContent>
        </Card>
        <Card variant="outlined">
          <CardContent>
            <Stack spacing={2}>
              <Stack direction="row" sx={{ justifyContent: 'space-between', alignItems: 'center', flexWrap: 'wrap', gap: 1 }}>
                <Typography variant="subtitle1" component="h2">
                  Playground
                </Typography>
                <Button size="small" onClick={() => setLines((l) => (l ? `${l}\n${SAMPLE}` : SAMPLE))}>
                  Insert example line
                </Button>
              </Stack>
              <TextField
                label="Sample lines"
                placeholder="Paste log lines here, one per line"
                multiline
                minRows={4}
                maxRows={14}
                value={lines}
                onChange={(e) => setLines(e.target.value)}
                slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: 'monospace', fontSize: 13 } } }}
              />
              {test.busy && <LinearProgress aria-label="Testing patterns" />}
              {test.err && !knownKey(test.err) && <Alert severity="error">{test.err.message}</Alert>}
              {test.res && (
                <>
                  <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 1 }}>
                    {keys.map((k) => {
                      const r = matchRate(k);
                      return r ? <Chip key={k} size="small" color={r.matched > 0 ? 'success' : 'default'} label={`${k}: ${formatPercent(r.pct)}`} /> : null;
                    })}
                  </Stack>
                  <ScrollBox maxHeight={400}>
                    <Table size="small" aria-label="Extracted columns">
                      <TableHead>
                        <TableRow>
                          {(test.res.columns ?? []).map((c) => (
                            <TableCell key={c}>{c}</TableCell>
                          ))}
                        </TableRow>
                      </TableHead>
                      <TableBody>
                        {(test.res.rows ?? []).map((row, i) => (
                          <TableRow key={i}>
                            {(test.res!.columns ?? []).map((c, ci) => (
                              <TableCell key={c} sx={{ fontFamily: 'monospace', fontSize: 13 }}>
                                {(Array.isArray(row) ? (row as (string | null)[])[ci] : row[c]) ?? (
                                  <Typography component="span" variant="body2" color="text.disabled">
                                    —
                                  </Typography>
                                )}
                              </TableCell>
                            ))}
                          </TableRow>
                        ))}
                      </TableBody>
                    </Table>
                  </ScrollBox>
                </>
              )}
            </Stack>
          </CardContent>
        </Card>
      </Stack>
    </Box>
  );
}
