// Browse one engine's stored logs: a day, a relative or a date-time range; word or substring
// search; exact or substring column filters; sort; a histogram of the matches that zooms;
// cursor paging; live tail; and a CSV download of exactly what is selected. The whole
// selection lives in the URL (useBrowseState), so a search can be shared or bookmarked.
// The page itself subscribes to no live stats: only IngestRate and TailView redraw live.
import Download from '@mui/icons-material/Download';
import { Button, FormControlLabel, Paper, Stack, Switch } from '@mui/material';
import { useState } from 'react';
import { Link as RouterLink, useParams } from 'react-router';
import { useDays, useEngine } from '../api/queries';
import { PageHeader } from '../common/ui';
import { hasFilters, noTime, timeOf, type TimeSelection } from './browseState';
import { IngestRate } from './IngestRate';
import { LogResults } from './LogResults';
import { MatchHistogram } from './MatchHistogram';
import { exportUrl, histogramQuery } from './query';
import { SearchBox } from './SearchBox';
import { SortToggle } from './SortToggle';
import { TailView } from './TailView';
import { TimeRangePicker } from './TimeRangePicker';
import { useBrowseState } from './useBrowseState';

const sameTime = (a: TimeSelection, b: TimeSelection) => (Object.keys(a) as (keyof TimeSelection)[]).every((k) => a[k] === b[k]);

export default function BrowsePage() {
  const { name = '' } = useParams();
  const [state, update] = useBrowseState();
  const engine = useEngine(name);
  const days = useDays(name);
  const [tailOn, setTailOn] = useState(false);
  // the time selection before the first zoom, to go back to
  const [zoomBase, setZoomBase] = useState<TimeSelection | null>(null);
  const time = timeOf(state);
  const zoomed = zoomBase !== null && !sameTime(zoomBase, time);

  const tz = engine.data?.timezone;
  return (
    <>
      <PageHeader
        title={`Logs of ${name}`}
        subtitle={
          <Stack component="span" direction="row" sx={{ gap: 2 }}>
            {tz && <span>Times in {tz}</span>}
            <IngestRate engine={name} />
          </Stack>
        }
        actions={
          <>
            <Button component={RouterLink} to={`/engines/${encodeURIComponent(name)}`} variant="outlined">
              Engine
            </Button>
            <Button component="a" href={exportUrl(name, state)} download startIcon={<Download />} variant="contained">
              Download CSV
            </Button>
          </>
        }
      />
      <Paper variant="outlined" sx={{ p: 2, mb: 2 }}>
        <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 2, alignItems: 'center' }}>
          <TimeRangePicker
            time={time}
            days={days.data}
            disabled={tailOn}
            onChange={(t, opts) => {
              setZoomBase(null);
              update(t, opts);
            }}
          />
          <SearchBox q={state.q} match={state.match} disabled={tailOn} onChange={(p) => update(p)} />
          <SortToggle order={state.order} disabled={tailOn} onChange={(order) => update({ order }, { push: true })} />
          <FormControlLabel control={<Switch checked={tailOn} onChange={(e) => setTailOn(e.target.checked)} />} label="Live tail" />
          {hasFilters(state) && !tailOn && (
            <Button size="small" onClick={() => update({ q: '', filters: {} }, { push: true })}>
              Clear filters
            </Button>
          )}
        </Stack>
      </Paper>
      {tailOn ? (
        <TailView engine={name} />
      ) : (
        <>
          <MatchHistogram
            engine={name}
            qs={histogramQuery(state)}
            onZoom={(r) => {
              if (!zoomed) setZoomBase(time);
              update({ ...noTime, ...r }, { push: true });
            }}
            onResetZoom={
              zoomed
                ? () => {
                    update(zoomBase, { push: true });
                    setZoomBase(null);
                  }
                : undefined
            }
          />
          <LogResults engine={name} state={state} update={update} />
        </>
      )}
    </>
  );
}
