// Start / stop / restart buttons for one engine (admins only), with progress.
import PlayArrow from '@mui/icons-material/PlayArrow';
import Replay from '@mui/icons-material/Replay';
import Stop from '@mui/icons-material/Stop';
import { CircularProgress, IconButton, Stack, Tooltip } from '@mui/material';
import { useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { errorMessage } from '../api/client';
import { keys, useEngineMutations } from '../api/queries';
import type { EngineInfo } from '../api/types';

type Action = 'start' | 'stop' | 'restart';

export function EngineActions({ engine, onError }: { engine: EngineInfo; onError: (msg: string) => void }) {
  const { action } = useEngineMutations();
  const qc = useQueryClient();
  const [busy, setBusy] = useState<Action | null>(null);
  const run = async (a: Action) => {
    setBusy(a);
    try {
      await action.mutateAsync({ name: engine.name, action: a });
      await qc.invalidateQueries({ queryKey: keys.engine(engine.name) });
    } catch (e) {
      onError(`${a} ${engine.name}: ${errorMessage(e)}`);
    } finally {
      setBusy(null);
    }
  };
  const running = engine.state === 'running' || engine.state === 'paused';
  const btn = (a: Action, label: string, icon: ReactNode, disabled: boolean) => (
    <Tooltip title={label}>
      <span>
        <IconButton size="small" aria-label={`${label} ${engine.name}`} onClick={() => run(a)} disabled={disabled || busy !== null}>
          {busy === a ? <CircularProgress size={18} /> : icon}
        </IconButton>
      </span>
    </Tooltip>
  );
  return (
    <Stack direction="row">
      {btn('start', 'Start', <PlayArrow />, running)}
      {btn('stop', 'Stop', <Stop />, !running)}
      {btn('restart', 'Restart', <Replay />, false)}
    </Stack>
  );
}
