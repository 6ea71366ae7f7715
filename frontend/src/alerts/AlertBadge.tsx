// The badge on engines with firing alerts (engines list and engine page).
import NotificationsActive from '@mui/icons-material/NotificationsActive';
import { Chip } from '@mui/material';
import { Link as RouterLink } from 'react-router';
import { useFiring } from '../api/queries';
import { badgeTitle, firingByEngine } from './firing';

/** EngineAlertBadge shows "N firing" for an engine with firing alerts and links to their
 * history; nothing while none fires (or the list cannot be read). */
export function EngineAlertBadge({ engine }: { engine: string }) {
  const firing = useFiring();
  const rules = firingByEngine(firing.data).get(engine);
  if (!rules?.length) return null;
  return (
    <Chip
      size="small"
      color="error"
      icon={<NotificationsActive />}
      label={`${rules.length} firing`}
      title={badgeTitle(rules)}
      aria-label={`Alerts firing on ${engine}: ${rules.join(', ')}`}
      data-testid="alert-badge"
      component={RouterLink}
      to={`/alerts/history?engine=${encodeURIComponent(engine)}`}
      clickable
    />
  );
}
