import { createContext, useContext } from 'react';

export type ColorPref = 'system' | 'light' | 'dark';
export const COLOR_KEY = 'logsieve.colorMode';

export interface ColorMode {
  pref: ColorPref;
  mode: 'light' | 'dark';
  setPref: (p: ColorPref) => void;
  toggle: () => void;
}

export const ColorModeContext = createContext<ColorMode>({
  pref: 'system',
  mode: 'light',
  setPref: () => {},
  toggle: () => {},
});

export function useColorMode(): ColorMode {
  return useContext(ColorModeContext);
}

export function readPref(): ColorPref {
  try {
    const v = localStorage.getItem(COLOR_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}
