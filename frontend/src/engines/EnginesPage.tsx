import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import ListAlt from '@mui/icons-material/ListAlt';
import {
  Alert,
  Button,
  FormControlLabel,
  IconButton,
  Link,
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
import { Link as RouterLink, useNavigate } from 'react-router';
import { useEngineMutations, useEngines } from '../api/queries';
import type { EngineInfo } from '../api/types';
import { useAuth } from '../auth/authContext';
import { formatRate } from '../common/format';
import { ConfirmDialog, PageHeader, QueryView, ScrollBox, StateChip } from '../common/ui';
import { useLive } from '../common/useLive';
import { EngineAlertBadge } from '../alerts/AlertBadge';
import { EngineActions } from './EngineActions';
import { EngineDialog } from './EngineDialog';

export default function EnginesPage() {
  const engines = useEngines();
  const { isAdmin } = useAuth();
  const { stats } = useLive();
  const navigate = useNavigate();
  const { remove } = useEngineMutations();
  const [dialog, setDialog] = useState<{ engine?: EngineInfo } | null>(null);
  const [toDelete, setToDelete] = useState<EngineInfo | null>(null);
  const [purge, setPurge] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);

  return (
    <>
      <PageHeader
        title="Engines"
        subtitle="Each engine listens on one UDP port and stores what its class extracts."
        actions={
          isAdmin && (
            <Button variant="contained" startIcon={<Add />} onClick={() => setDialog({})}>
              Create engine
            </Button>
          )
        }
      />
      <QueryView q={engines}>
        {(list) =>
          list.length === 0 ? (
            <Alert severity="info">No engines yet.{isAdmin ? ' Create one to start receiving logs.' : ''}</Alert>
          ) : (
            <Paper variant="outlined">
              <ScrollBox>
                <Table size="small" aria-label="Engines">
                  <TableHead>
                    <TableRow>
                      <TableCell>Name</TableCell>
                      <TableCell>State</TableCell>
                      <TableCell>Class</TableCell>
                      <TableCell>Listen</TableCell>
                      <TableCell align="right">In</TableCell>
                      <TableCell align="right">Stored</TableCell>
                      <TableCell align="right">Actions</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {list.map((e) => {
                      const s = stats?.engines?.[e.name];
                      const state = s?.state ?? e.state;
                      return (
                        <TableRow key={e.name} hover data-testid={`engine-row-${e.name}`}>
                          <TableCell>
                            <Link component={RouterLink} to={`/engines/${encodeURIComponent(e.name)}`}>
                              {e.name}
                            </Link>
                          </TableCell>
                          <TableCell>
                            <Stack direction="row" sx={{ gap: 0.5, flexWrap: 'wrap', alignItems: 'center' }}>
                              <StateChip state={state} title={s?.reason ?? e.error} />
                              <EngineAlertBadge engine={e.name} />
                            </Stack>
                            {state === 'failed' && (e.error || s?.reason) && (
                              <Typography variant="caption" color="error" sx={{ display: 'block', whiteSpace: 'normal', maxWidth: 240 }}>
                                {s?.reason ?? e.error}
                              </Typography>
                            )}
                          </TableCell>
                          <TableCell>{e.class}</TableCell>
                          <TableCell>
                            {e.protocol || 'udp'} {e.bind}:{e.port}
                          </TableCell>
                          <TableCell align="right" data-testid="in-rate">
                            {formatRate(s?.in_per_s)}
                          </TableCell>
                          <TableCell align="right" data-testid="stored-rate">
                            {formatRate(s?.stored_per_s)}
                          </TableCell>
                          <TableCell align="right">
                            <Stack direction="row" sx={{ justifyContent: 'flex-end' }}>
                              <Tooltip title="Browse logs">
                                <IconButton size="small" aria-label={`Browse logs of ${e.name}`} onClick={() => navigate(`/engines/${encodeURIComponent(e.name)}/logs`)}>
                                  <ListAlt />
                                </IconButton>
                              </Tooltip>
                              {isAdmin && (
                                <>
                                  <EngineActions engine={{ ...e, state }} onError={setMsg} />
                                  <Tooltip title="Edit">
                                    <IconButton size="small" aria-label={`Edit ${e.name}`} onClick={() => setDialog({ engine: e })}>
                                      <Edit />
                                    </IconButton>
                                  </Tooltip>
                                  <Tooltip title="Delete">
                                    <IconButton size="small" aria-label={`Delete ${e.name}`} onClick={() => setToDelete(e)}>
                                      <Delete />
                                    </IconButton>
                                  </Tooltip>
                                </>
                              )}
                            </Stack>
                          </TableCell>
                        </TableRow>
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
        <EngineDialog
          open
          engine={dialog.engine}
          onClose={(saved) => {
            setDialog(null);
            if (saved) setMsg(`Engine ${saved} saved`);
          }}
        />
      )}
      <ConfirmDialog
        open={!!toDelete}
        title={`Delete engine ${toDelete?.name ?? ''}?`}
        text="The engine stops and its definition is removed."
        onConfirm={() => remove.mutateAsync({ name: toDelete!.name, purge })}
        onClose={() => {
          setToDelete(null);
          setPurge(false);
        }}
      >
        <FormControlLabel control={<Switch checked={purge} onChange={(e) => setPurge(e.target.checked)} />} label="Also delete its stored days" />
      </ConfirmDialog>
      <Snackbar open={!!msg} autoHideDuration={6000} onClose={() => setMsg(null)} message={msg} />
    </>
  );
}
