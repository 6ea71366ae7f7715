// Small shared pieces: page header, loading/error states, confirm dialog, state chip.
import {
  Alert,
  Box,
  Button,
  Chip,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  Stack,
  Typography,
  type ChipProps,
} from '@mui/material';
import { useState, type ReactNode } from 'react';
import { errorMessage } from '../api/client';
import type { EngineState } from '../api/types';

export function PageHeader({ title, actions, subtitle }: { title: ReactNode; actions?: ReactNode; subtitle?: ReactNode }) {
  return (
    <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between', flexWrap: 'wrap', gap: 1, mb: 2 }}>
      <Box sx={{ minWidth: 0 }}>
        <Typography variant="h5" component="h1" sx={{ overflowWrap: 'anywhere' }}>
          {title}
        </Typography>
        {subtitle && (
          <Typography variant="body2" color="text.secondary">
            {subtitle}
          </Typography>
        )}
      </Box>
      {actions && <Stack direction="row" sx={{ gap: 1, flexWrap: 'wrap' }}>{actions}</Stack>}
    </Stack>
  );
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Box sx={{ display: 'flex', justifyContent: 'center', p: 4 }} role="status" aria-live="polite">
      <CircularProgress aria-label={label} />
    </Box>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <Alert
      severity="error"
      sx={{ my: 2 }}
      action={
        onRetry && (
          <Button color="inherit" size="small" onClick={onRetry}>
            Retry
          </Button>
        )
      }
    >
      {errorMessage(error)}
    </Alert>
  );
}

/** QueryView shows a spinner while loading, an error with retry, else its children. */
export function QueryView<T>({
  q,
  children,
}: {
  q: { isPending: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  children: (data: T) => ReactNode;
}) {
  if (q.isPending) return <Loading />;
  if (q.error || q.data === undefined) return <ErrorState error={q.error ?? 'No data'} onRetry={() => q.refetch()} />;
  return <>{children(q.data)}</>;
}

const stateColor: Record<string, ChipProps['color']> = {
  running: 'success',
  stopped: 'default',
  paused: 'warning',
  failed: 'error',
};

export function StateChip({ state, title }: { state: EngineState | string; title?: string }) {
  return <Chip size="small" label={state} color={stateColor[state] ?? 'default'} title={title} data-testid="state-chip" />;
}

/** ConfirmDialog asks before a destructive action and shows progress while it runs. */
export function ConfirmDialog({
  open,
  title,
  text,
  confirmLabel = 'Delete',
  onConfirm,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  text: ReactNode;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
  children?: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const close = () => {
    if (busy) return;
    setErr(null);
    onClose();
  };
  const confirm = async () => {
    setBusy(true);
    setErr(null);
    try {
      await onConfirm();
      setBusy(false);
      onClose();
    } catch (e) {
      setBusy(false);
      setErr(e);
    }
  };
  return (
    <Dialog open={open} onClose={close} aria-labelledby="confirm-title">
      <DialogTitle id="confirm-title">{title}</DialogTitle>
      <DialogContent>
        <DialogContentText component="div">{text}</DialogContentText>
        {children}
        {err != null && <ErrorState error={err} />}
      </DialogContent>
      <DialogActions>
        <Button onClick={close} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="error"
          variant="contained"
          onClick={confirm}
          disabled={busy}
          startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}
        >
          {confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** ScrollTable wraps a table so it scrolls inside its own box, never the page. */
export function ScrollBox({ children, maxHeight }: { children: ReactNode; maxHeight?: number | string }) {
  return <Box sx={{ width: '100%', overflowX: 'auto', maxHeight, overflowY: maxHeight ? 'auto' : undefined }}>{children}</Box>;
}
