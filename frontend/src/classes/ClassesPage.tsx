import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import UploadFile from '@mui/icons-material/UploadFile';
import Visibility from '@mui/icons-material/Visibility';
import { Alert, Button, CircularProgress, IconButton, Link, Paper, Snackbar, Table, TableBody, TableCell, TableHead, TableRow, Tooltip } from '@mui/material';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type ChangeEvent } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { keys, useClasses, useClassMutations } from '../api/queries';
import { useAuth } from '../auth/authContext';
import { ConfirmDialog, PageHeader, QueryView, ScrollBox } from '../common/ui';

interface ImportResult {
  imported: string[];
  skipped: { name: string; reason: string }[];
}

export default function ClassesPage() {
  const classes = useClasses();
  const { isAdmin } = useAuth();
  const { remove } = useClassMutations();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [toDelete, setToDelete] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);
  const [importResult, setImportResult] = useState<ImportResult | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const onImport = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setImporting(true);
    try {
      const res = await fetch('/api/v1/classes/import', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: await file.text(),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new ApiError(res.status, body.error ?? res.statusText, body.field);
      setImportResult(body as ImportResult);
      await qc.invalidateQueries({ queryKey: keys.classes });
    } catch (err) {
      setMsg(`Import failed: ${errorMessage(err)}`);
    } finally {
      setImporting(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Classes"
        subtitle="A class is an ordered set of regex keys; each key becomes a column."
        actions={
          isAdmin && (
            <>
              <input ref={fileRef} type="file" accept=".json,application/json" hidden onChange={onImport} aria-label="Fast Logger config file" />
              <Button variant="outlined" startIcon={importing ? <CircularProgress size={16} /> : <UploadFile />} disabled={importing} onClick={() => fileRef.current?.click()}>
                Import Fast Logger
              </Button>
              <Button variant="contained" startIcon={<Add />} onClick={() => navigate('/classes/new')}>
                Create class
              </Button>
            </>
          )
        }
      />
      {importResult && (
        <Alert severity={importResult.skipped?.length ? 'warning' : 'success'} sx={{ mb: 2 }} onClose={() => setImportResult(null)}>
          Imported: {importResult.imported?.join(', ') || 'none'}.
          {importResult.skipped?.length > 0 && <> Skipped: {importResult.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}</>}
        </Alert>
      )}
      <QueryView q={classes}>
        {(list) =>
          list.length === 0 ? (
            <Alert severity="info">No classes yet.</Alert>
          ) : (
            <Paper variant="outlined">
              <ScrollBox>
                <Table size="small" aria-label="Classes">
                  <TableHead>
                    <TableRow>
                      <TableCell>Name</TableCell>
                      <TableCell>Columns</TableCell>
                      <TableCell>Engines</TableCell>
                      <TableCell align="right">Actions</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {list.map((c) => (
                      <TableRow key={c.name} hover>
                        <TableCell>
                          <Link component={RouterLink} to={`/classes/${encodeURIComponent(c.name)}`}>
                            {c.name}
                          </Link>
                        </TableCell>
                        <TableCell sx={{ whiteSpace: 'normal', minWidth: 200 }}>{(c.columns ?? c.keys ?? []).join(', ')}</TableCell>
                        <TableCell>{(c.engines ?? []).join(', ') || '—'}</TableCell>
                        <TableCell align="right">
                          <Tooltip title={isAdmin ? 'Edit' : 'View'}>
                            <IconButton size="small" aria-label={`${isAdmin ? 'Edit' : 'View'} class ${c.name}`} onClick={() => navigate(`/classes/${encodeURIComponent(c.name)}`)}>
                              {isAdmin ? <Edit /> : <Visibility />}
                            </IconButton>
                          </Tooltip>
                          {isAdmin && (
                            <Tooltip title={c.engines?.length ? 'In use by engines' : 'Delete'}>
                              <span>
                                <IconButton size="small" aria-label={`Delete class ${c.name}`} onClick={() => setToDelete(c.name)}>
                                  <Delete />
                                </IconButton>
                              </span>
                            </Tooltip>
                          )}
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
      <ConfirmDialog
        open={!!toDelete}
        title={`Delete class ${toDelete ?? ''}?`}
        text="A class used by an engine cannot be deleted."
        onConfirm={() => remove.mutateAsync(toDelete!)}
        onClose={() => setToDelete(null)}
      />
      <Snackbar open={!!msg} autoHideDuration={6000} onClose={() => setMsg(null)} message={msg} />
    </>
  );
}
