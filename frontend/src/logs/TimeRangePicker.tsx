// The time selection: one day (optionally from/to a time of day), a relative range
// ("last 15 minutes") or a date-time range that may span several days.
import { MenuItem, Stack, TextField } from '@mui/material';
import type { DayInfo } from '../api/types';
import { formatBytes, formatCount } from '../common/format';
import { noTime, timeMode, type TimeSelection } from './browseState';
import { isDateTime, RELATIVE_RANGES, relativeLabel } from './timeRange';

const RANGE = 'range';
const DAY = 'day';

/** kindOf is the value of the "Time" select for a selection: day, range, or the `last` value. */
function kindOf(t: TimeSelection): string {
  const m = timeMode(t);
  return m === 'last' ? t.last : m === 'range' ? RANGE : DAY;
}

/** newestDay is the most recent stored day (the list's order is not relied on). */
function newestDay(days: DayInfo[] | undefined): string {
  return (days ?? []).reduce((max, d) => (d.date > max ? d.date : max), '');
}

const timeInput = { inputLabel: { shrink: true }, htmlInput: { step: 1 } };

export function TimeRangePicker({ time, days, disabled, onChange }: { time: TimeSelection; days?: DayInfo[]; disabled?: boolean; onChange: (t: TimeSelection, opts: { push: boolean }) => void }) {
  const kind = kindOf(time);
  // a day from the URL that the list lacks (deleted, or the list still loading) stays choosable
  const dayList = days ?? [];
  const dayChoices = time.date && !dayList.some((d) => d.date === time.date) ? [{ date: time.date, rows: NaN, bytes: NaN }, ...dayList] : dayList;
  const choices = (RELATIVE_RANGES as readonly string[]).includes(time.last) || !time.last ? RELATIVE_RANGES : [...RELATIVE_RANGES, time.last];

  // a new kind or day is a history entry (Back returns to it); editing a bound replaces it
  const push = { push: true };
  const edit = { push: false };
  const setKind = (k: string) => {
    if (k === DAY) return onChange(noTime, push);
    if (k === RANGE) {
      const day = time.date || newestDay(days) || new Date().toISOString().slice(0, 10);
      return onChange({ ...noTime, start: `${day}T00:00`, end: `${day}T23:59` }, push);
    }
    onChange({ ...noTime, last: k }, push);
  };
  // a datetime-local input gives '' until its value is complete
  const setBound = (which: 'start' | 'end', v: string) => {
    if (v === '' || isDateTime(v)) onChange({ ...time, [which]: v }, edit);
  };

  return (
    <Stack direction="row" sx={{ gap: 2, flexWrap: 'wrap', alignItems: 'center' }}>
      <TextField select label="Time" value={kind} onChange={(e) => setKind(e.target.value)} size="small" sx={{ minWidth: 170 }} disabled={disabled}>
        <MenuItem value={DAY}>One day</MenuItem>
        {choices.map((l) => (
          <MenuItem key={l} value={l}>
            {relativeLabel(l)}
          </MenuItem>
        ))}
        <MenuItem value={RANGE}>Date-time range</MenuItem>
      </TextField>
      {kind === DAY && (
        <>
          <TextField
            select
            label="Day"
            value={time.date}
            onChange={(e) => onChange({ ...noTime, date: e.target.value }, push)}
            sx={{ minWidth: 200 }}
            size="small"
            disabled={disabled}
            slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
          >
            <MenuItem value="">Today</MenuItem>
            {dayChoices.map((d) => (
              <MenuItem key={d.date} value={d.date}>
                {Number.isNaN(d.rows) ? d.date : `${d.date} · ${formatCount(d.rows)} rows · ${formatBytes(d.bytes)}`}
              </MenuItem>
            ))}
          </TextField>
          <TextField label="From" type="time" value={time.from} onChange={(e) => onChange({ ...time, from: e.target.value }, edit)} size="small" slotProps={timeInput} disabled={disabled} />
          <TextField label="To" type="time" value={time.to} onChange={(e) => onChange({ ...time, to: e.target.value }, edit)} size="small" slotProps={timeInput} disabled={disabled} />
        </>
      )}
      {kind === RANGE && (
        <>
          <TextField label="Start" type="datetime-local" value={time.start} onChange={(e) => setBound('start', e.target.value)} size="small" slotProps={timeInput} disabled={disabled} />
          <TextField label="End" type="datetime-local" value={time.end} onChange={(e) => setBound('end', e.target.value)} size="small" slotProps={timeInput} disabled={disabled} />
        </>
      )}
    </Stack>
  );
}
