// Session state: GET /auth/me on load; login/logout/password change; a 401 anywhere signs out.
import { Box, CircularProgress } from '@mui/material';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, type ReactNode } from 'react';
import { api, ApiError, onUnauthorized } from '../api/client';
import { keys, useMe } from '../api/queries';
import type { LoginResponse, User } from '../api/types';
import { live } from '../common/liveSocket';
import { AuthContext, type Auth } from './authContext';

export function AuthProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const me = useMe({ staleTime: Infinity, refetchOnWindowFocus: false });
  const user = me.data ?? null;

  useEffect(
    () =>
      onUnauthorized(() => {
        qc.setQueryData(keys.me, null);
      }),
    [qc],
  );

  // The server closes the websocket when the session ends (logout elsewhere, password or
  // role change, deleted user): ask who is signed in now; a 401 signs out.
  useEffect(() => live.onAuthClosed(() => void qc.invalidateQueries({ queryKey: keys.me })), [qc]);

  const signedIn = !!user && !user.must_change_password;
  useEffect(() => {
    if (signedIn) live.start();
    else live.stop();
  }, [signedIn]);

  const login = useCallback(
    async (username: string, password: string) => {
      const r = await api<LoginResponse>('POST', '/auth/login', { username, password });
      const u: User = r.user;
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      qc.setQueryData(keys.me, u);
      return u;
    },
    [qc],
  );
  const logout = useCallback(async () => {
    try {
      await api('POST', '/auth/logout');
    } catch {
      /* signed out either way */
    }
    live.stop();
    qc.setQueryData(keys.me, null);
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
  }, [qc]);
  const changePassword = useCallback(
    async (current: string, next: string) => {
      await api('POST', '/auth/password', { current, new: next });
      const u = await api<User>('GET', '/auth/me');
      qc.setQueryData(keys.me, u);
    },
    [qc],
  );

  const value = useMemo<Auth>(
    () => ({ user, isAdmin: user?.role === 'admin', login, logout, changePassword }),
    [user, login, logout, changePassword],
  );

  const unauth = me.error instanceof ApiError && (me.error.status === 401 || me.error.status === 403);
  if (me.isPending && !unauth) {
    return (
      <Box sx={{ display: 'grid', placeItems: 'center', minHeight: '100vh' }}>
        <CircularProgress aria-label="Loading" />
      </Box>
    );
  }
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
