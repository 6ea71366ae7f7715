// The global search: text in any column, as a whole word (default) or as a substring.
import { Stack, TextField, ToggleButton, ToggleButtonGroup } from '@mui/material';
import { useDraft } from '../common/useDraft';
import type { Match } from './browseState';

export function SearchBox({ q, match, disabled, onChange }: { q: string; match: Match; disabled?: boolean; onChange: (patch: { q?: string; match?: Match }) => void }) {
  const [draft, setDraft] = useDraft(q, (v) => onChange({ q: v }));
  return (
    <Stack direction="row" sx={{ gap: 1, alignItems: 'center', flex: '1 1 320px' }}>
      <TextField
        label="Search"
        placeholder={match === 'word' ? 'a whole word in any column' : 'text in any column'}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        size="small"
        sx={{ flex: 1 }}
        disabled={disabled}
      />
      <ToggleButtonGroup
        exclusive
        size="small"
        value={match}
        disabled={disabled}
        aria-label="Match mode"
        onChange={(_e, v: Match | null) => v && onChange({ q: draft, match: v })}
      >
        <ToggleButton value="word" title="Whole words: 10.0.0.5 finds 10.0.0.5:80 but not 110.0.0.5">
          Word
        </ToggleButton>
        <ToggleButton value="substring" title="Any part of a value">
          Substring
        </ToggleButton>
      </ToggleButtonGroup>
    </Stack>
  );
}
