// One column's filter in the table header: the text, and whether it must equal the value
// (exact, filter=col=text) or occur in it (substring, filter=col:text).
import { InputAdornment, TextField, ToggleButton } from '@mui/material';
import { useDraft } from '../common/useDraft';
import type { ColumnFilter as Filter } from './browseState';

export function ColumnFilter({ column, filter, onChange }: { column: string; filter: Filter | undefined; onChange: (column: string, f: Filter) => void }) {
  const exact = filter?.exact ?? false;
  const [draft, setDraft] = useDraft(filter?.text ?? '', (text) => onChange(column, { text, exact }));
  return (
    <TextField
      size="small"
      variant="standard"
      placeholder={exact ? 'equals' : 'contains'}
      value={draft}
      onChange={(e) => setDraft(e.target.value)}
      sx={{ minWidth: 110 }}
      slotProps={{
        htmlInput: { 'aria-label': `Filter ${column}` },
        input: {
          endAdornment: (
            <InputAdornment position="end">
              <ToggleButton
                value="exact"
                size="small"
                selected={exact}
                onChange={() => onChange(column, { text: draft, exact: !exact })}
                aria-label={`Exact match ${column}`}
                title={exact ? 'Exact value (click for substring)' : 'Substring (click for exact value)'}
                sx={{ py: 0, px: 0.5, minWidth: 24, border: 'none', fontFamily: 'monospace' }}
              >
                {exact ? '=' : '≈'}
              </ToggleButton>
            </InputAdornment>
          ),
        },
      }}
    />
  );
}
