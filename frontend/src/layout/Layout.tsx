// App shell: top bar (menu, title, dark mode, account) and navigation (permanent on desktop,
// a drawer on phones).
import AccountCircle from '@mui/icons-material/AccountCircle';
import Category from '@mui/icons-material/Category';
import DarkMode from '@mui/icons-material/DarkMode';
import Dns from '@mui/icons-material/Dns';
import LightMode from '@mui/icons-material/LightMode';
import Memory from '@mui/icons-material/Memory';
import MenuIcon from '@mui/icons-material/Menu';
import Notifications from '@mui/icons-material/Notifications';
import People from '@mui/icons-material/People';
import SettingsIcon from '@mui/icons-material/Settings';
import {
  AppBar,
  Badge,
  Box,
  Chip,
  Drawer,
  IconButton,
  List,
  ListItemButton,
  ListItemIcon,
  ListItemText,
  Menu,
  MenuItem,
  Toolbar,
  Tooltip,
  Typography,
  useMediaQuery,
  useTheme,
} from '@mui/material';
import { Suspense, useState } from 'react';
import { Link as RouterLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useFiring } from '../api/queries';
import { useAuth } from '../auth/authContext';
import { Loading } from '../common/ui';
import { useLiveConnected } from '../common/useLive';
import { useColorMode } from './colorMode';

const drawerWidth = 210;

export function Layout() {
  const theme = useTheme();
  const desktop = useMediaQuery(theme.breakpoints.up('md'));
  const [open, setOpen] = useState(false);
  const { user, isAdmin, logout } = useAuth();
  const { mode, toggle } = useColorMode();
  const loc = useLocation();
  const navigate = useNavigate();
  const [menuEl, setMenuEl] = useState<HTMLElement | null>(null);
  const connected = useLiveConnected();
  const firing = useFiring();
  const firingRules = new Set((firing.data ?? []).map((f) => f.rule)).size;

  const items = [
    { to: '/engines', label: 'Engines', icon: <Dns /> },
    { to: '/classes', label: 'Classes', icon: <Category /> },
    {
      to: '/alerts',
      label: 'Alerts',
      icon: (
        <Badge badgeContent={firingRules} color="error" data-testid="nav-firing" title={firingRules ? `${firingRules} rules firing` : undefined}>
          <Notifications />
        </Badge>
      ),
    },
    { to: '/system', label: 'System', icon: <Memory /> },
    ...(isAdmin ? [{ to: '/users', label: 'Users', icon: <People /> }] : []),
    { to: '/settings', label: 'Settings', icon: <SettingsIcon /> },
  ];

  const nav = (
    <Box component="nav" aria-label="Main navigation">
      <Toolbar />
      <List>
        {items.map((it) => (
          <ListItemButton
            key={it.to}
            component={RouterLink}
            to={it.to}
            selected={loc.pathname.startsWith(it.to)}
            onClick={() => setOpen(false)}
          >
            <ListItemIcon>{it.icon}</ListItemIcon>
            <ListItemText primary={it.label} />
          </ListItemButton>
        ))}
      </List>
    </Box>
  );

  return (
    <Box sx={{ display: 'flex', minHeight: '100vh' }}>
      <AppBar position="fixed" sx={{ zIndex: (t) => t.zIndex.drawer + 1 }}>
        <Toolbar sx={{ gap: 1 }}>
          {!desktop && (
            <IconButton color="inherit" edge="start" aria-label="Open navigation" onClick={() => setOpen(true)}>
              <MenuIcon />
            </IconButton>
          )}
          <Typography variant="h6" component={RouterLink} to="/engines" sx={{ color: 'inherit', textDecoration: 'none', flexGrow: 1 }}>
            logsieve
          </Typography>
          <Chip
            size="small"
            label={connected ? 'live' : 'offline'}
            color={connected ? 'success' : 'default'}
            variant={connected ? 'filled' : 'outlined'}
            sx={{ color: 'inherit', display: { xs: 'none', sm: 'inline-flex' } }}
            title={connected ? 'Live updates connected' : 'Live updates disconnected; reconnecting'}
          />
          <Tooltip title={mode === 'dark' ? 'Light mode' : 'Dark mode'}>
            <IconButton color="inherit" aria-label={mode === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'} onClick={toggle}>
              {mode === 'dark' ? <LightMode /> : <DarkMode />}
            </IconButton>
          </Tooltip>
          <IconButton color="inherit" aria-label="Account" onClick={(e) => setMenuEl(e.currentTarget)}>
            <AccountCircle />
          </IconButton>
          <Menu anchorEl={menuEl} open={!!menuEl} onClose={() => setMenuEl(null)}>
            <MenuItem disabled>
              {user?.username} ({user?.role})
            </MenuItem>
            <MenuItem
              onClick={() => {
                setMenuEl(null);
                navigate('/change-password');
              }}
            >
              Change password
            </MenuItem>
            <MenuItem
              onClick={async () => {
                setMenuEl(null);
                await logout();
                navigate('/login');
              }}
            >
              Sign out
            </MenuItem>
          </Menu>
        </Toolbar>
      </AppBar>
      {desktop ? (
        <Drawer variant="permanent" sx={{ width: drawerWidth, flexShrink: 0, '& .MuiDrawer-paper': { width: drawerWidth } }}>
          {nav}
        </Drawer>
      ) : (
        <Drawer variant="temporary" open={open} onClose={() => setOpen(false)} ModalProps={{ keepMounted: true }} sx={{ '& .MuiDrawer-paper': { width: drawerWidth } }}>
          {nav}
        </Drawer>
      )}
      <Box component="main" sx={{ flexGrow: 1, minWidth: 0, p: { xs: 1.5, sm: 2, md: 3 } }}>
        <Toolbar />
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </Box>
    </Box>
  );
}
