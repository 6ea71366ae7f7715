// Alerts: rules, channels and the history of fired alerts, one tab each (/alerts/:tab).
import { Tab, Tabs } from '@mui/material';
import { Link as RouterLink, Navigate, useParams } from 'react-router';
import { PageHeader } from '../common/ui';
import { ChannelsTab } from './ChannelsTab';
import { HistoryTab } from './HistoryTab';
import { RulesTab } from './RulesTab';

const TABS = [
  { value: 'rules', label: 'Rules' },
  { value: 'channels', label: 'Channels' },
  { value: 'history', label: 'History' },
] as const;

export default function AlertsPage() {
  const { tab = 'rules' } = useParams();
  if (!TABS.some((t) => t.value === tab)) return <Navigate to="/alerts/rules" replace />;
  return (
    <>
      <PageHeader title="Alerts" subtitle="Rules on logs and engine health; alerts go to webhook, Telegram and email channels." />
      <Tabs value={tab} sx={{ mb: 2, borderBottom: 1, borderColor: 'divider' }} variant="scrollable" allowScrollButtonsMobile aria-label="Alerts sections">
        {TABS.map((t) => (
          <Tab key={t.value} value={t.value} label={t.label} component={RouterLink} to={`/alerts/${t.value}`} />
        ))}
      </Tabs>
      {tab === 'rules' && <RulesTab />}
      {tab === 'channels' && <ChannelsTab />}
      {tab === 'history' && <HistoryTab />}
    </>
  );
}
