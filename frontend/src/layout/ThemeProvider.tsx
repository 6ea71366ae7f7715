// The one MUI theme: light/dark follows the system until the user picks one (persisted).
import { CssBaseline, ThemeProvider as MuiThemeProvider, createTheme, useMediaQuery } from '@mui/material';
import { useMemo, useState, type ReactNode } from 'react';
import { COLOR_KEY, ColorModeContext, readPref, type ColorPref } from './colorMode';

export function ThemeProvider({ children }: { children: ReactNode }) {
  const prefersDark = useMediaQuery('(prefers-color-scheme: dark)', { noSsr: true });
  const [pref, setPrefState] = useState<ColorPref>(readPref);
  const mode: 'light' | 'dark' = pref === 'system' ? (prefersDark ? 'dark' : 'light') : pref;

  const ctx = useMemo(() => {
    const setPref = (p: ColorPref) => {
      setPrefState(p);
      try {
        if (p === 'system') localStorage.removeItem(COLOR_KEY);
        else localStorage.setItem(COLOR_KEY, p);
      } catch {
        /* storage unavailable: keep the choice for this tab */
      }
    };
    return { pref, mode, setPref, toggle: () => setPref(mode === 'dark' ? 'light' : 'dark') };
  }, [pref, mode]);

  const theme = useMemo(
    () =>
      createTheme({
        palette: {
          mode,
          primary: { main: mode === 'dark' ? '#7cb7ff' : '#1f5fbf' },
          secondary: { main: mode === 'dark' ? '#7ee0b5' : '#1b8a5a' },
          background: mode === 'dark' ? { default: '#0f1318', paper: '#161b22' } : { default: '#f5f7fa', paper: '#ffffff' },
        },
        shape: { borderRadius: 8 },
        typography: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
        components: {
          MuiTableCell: { styleOverrides: { root: { whiteSpace: 'nowrap' } } },
          MuiButton: { defaultProps: { disableElevation: true } },
        },
      }),
    [mode],
  );

  return (
    <ColorModeContext.Provider value={ctx}>
      <MuiThemeProvider theme={theme}>
        <CssBaseline enableColorScheme />
        {children}
      </MuiThemeProvider>
    </ColorModeContext.Provider>
  );
}
