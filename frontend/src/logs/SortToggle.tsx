// Newest or oldest rows first (order=desc|asc).
import { ToggleButton, ToggleButtonGroup } from '@mui/material';
import type { Order } from './browseState';

export function SortToggle({ order, disabled, onChange }: { order: Order; disabled?: boolean; onChange: (o: Order) => void }) {
  return (
    <ToggleButtonGroup exclusive size="small" value={order} disabled={disabled} aria-label="Sort" onChange={(_e, v: Order | null) => v && onChange(v)}>
      <ToggleButton value="desc">Newest first</ToggleButton>
      <ToggleButton value="asc">Oldest first</ToggleButton>
    </ToggleButtonGroup>
  );
}
