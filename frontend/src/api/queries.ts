// One TanStack Query hook per API resource (docs/api.md). Mutations invalidate what they change.
import { useMutation, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query';
import { api } from './client';
import type {
  AlertEvent,
  Channel,
  ChannelIn,
  ChannelTestResult,
  ClassBody,
  ClassInfo,
  ClassTestRequest,
  ClassTestResponse,
  DayInfo,
  Delivery,
  EngineEvent,
  EngineInfo,
  EngineSpec,
  EngineStats,
  Firing,
  Histogram,
  HistoryPoint,
  LogsPage,
  Rule,
  RuleIn,
  Settings,
  SystemInfo,
  TLSInfo,
  User,
  UserCreate,
  UserPatch,
} from './types';

const enc = encodeURIComponent;

export const keys = {
  me: ['me'] as const,
  users: ['users'] as const,
  classes: ['classes'] as const,
  engines: ['engines'] as const,
  engine: (n: string) => ['engines', n] as const,
  stats: (n: string) => ['engines', n, 'stats'] as const,
  history: (n: string, s: number) => ['engines', n, 'history', s] as const,
  days: (n: string) => ['engines', n, 'days'] as const,
  events: (n: string) => ['engines', n, 'events'] as const,
  logs: (n: string, qs: string) => ['engines', n, 'logs', qs] as const,
  histogram: (n: string, qs: string) => ['engines', n, 'histogram', qs] as const,
  system: ['system'] as const,
  settings: ['settings'] as const,
  tls: ['tls'] as const,
  alerts: ['alerts'] as const,
  alertChannels: ['alerts', 'channels'] as const,
  deliveries: (ch: string) => ['alerts', 'channels', ch, 'deliveries'] as const,
  alertRules: ['alerts', 'rules'] as const,
  firing: ['alerts', 'firing'] as const,
  alertHistory: (qs: string) => ['alerts', 'history', qs] as const,
};

type Opts<T> = Omit<UseQueryOptions<T, Error, T, readonly unknown[]>, 'queryKey' | 'queryFn'>;

// --- auth
export function useMe(opts?: Opts<User>) {
  return useQuery({ queryKey: keys.me, queryFn: ({ signal }) => api<User>('GET', '/auth/me', undefined, signal), retry: false, ...opts });
}

// --- users
export function useUsers() {
  return useQuery({ queryKey: keys.users, queryFn: ({ signal }) => api<User[]>('GET', '/users', undefined, signal) });
}
export function useUserMutations() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.users });
  return {
    create: useMutation({ mutationFn: (u: UserCreate) => api<User>('POST', '/users', u), onSuccess: done }),
    update: useMutation({
      mutationFn: ({ username, patch }: { username: string; patch: UserPatch }) => api<User>('PATCH', `/users/${enc(username)}`, patch),
      onSuccess: done,
    }),
    remove: useMutation({ mutationFn: (username: string) => api<void>('DELETE', `/users/${enc(username)}`), onSuccess: done }),
  };
}

// --- classes
export function useClasses() {
  return useQuery({ queryKey: keys.classes, queryFn: ({ signal }) => api<ClassInfo[]>('GET', '/classes', undefined, signal) });
}
export function useClassMutations() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.classes });
  return {
    create: useMutation({ mutationFn: (c: ClassBody) => api<ClassInfo>('POST', '/classes', c), onSuccess: done }),
    update: useMutation({
      mutationFn: ({ name, body }: { name: string; body: ClassBody }) => api<ClassInfo>('PUT', `/classes/${enc(name)}`, body),
      onSuccess: done,
    }),
    remove: useMutation({ mutationFn: (name: string) => api<void>('DELETE', `/classes/${enc(name)}`), onSuccess: done }),
  };
}
export function testClass(req: ClassTestRequest, signal?: AbortSignal) {
  return api<ClassTestResponse>('POST', '/classes/test', req, signal);
}

// --- engines
export function useEngines() {
  return useQuery({ queryKey: keys.engines, queryFn: ({ signal }) => api<EngineInfo[]>('GET', '/engines', undefined, signal), refetchInterval: 10000 });
}
export function useEngine(name: string) {
  return useQuery({ queryKey: keys.engine(name), queryFn: ({ signal }) => api<EngineInfo>('GET', `/engines/${enc(name)}`, undefined, signal) });
}
/** useEngineStats loads the engine's counters once; with pollNodes, again every 2 s while the
 * answer has a per-node list (a cluster node: the websocket pushes this node's stats only). */
export function useEngineStats(name: string, pollNodes = false) {
  return useQuery({
    queryKey: keys.stats(name),
    queryFn: ({ signal }) => api<EngineStats>('GET', `/engines/${enc(name)}/stats`, undefined, signal),
    refetchInterval: pollNodes ? (q) => (q.state.data?.nodes?.length ? 2000 : false) : undefined,
  });
}
export function useEngineHistory(name: string, seconds: number) {
  return useQuery({
    queryKey: keys.history(name, seconds),
    queryFn: ({ signal }) => api<HistoryPoint[]>('GET', `/engines/${enc(name)}/stats/history?seconds=${seconds}`, undefined, signal),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
}
export function useEngineEvents(name: string, limit = 50) {
  return useQuery({
    queryKey: keys.events(name),
    queryFn: ({ signal }) => api<EngineEvent[]>('GET', `/engines/${enc(name)}/events?limit=${limit}`, undefined, signal),
    refetchInterval: 10000,
  });
}
export function useDays(name: string) {
  return useQuery({ queryKey: keys.days(name), queryFn: ({ signal }) => api<DayInfo[]>('GET', `/engines/${enc(name)}/days`, undefined, signal), refetchInterval: 5000 });
}
export function useLogs(name: string, qs: string, enabled = true) {
  return useQuery({
    queryKey: keys.logs(name, qs),
    queryFn: ({ signal }) => api<LogsPage>('GET', `/engines/${enc(name)}/logs?${qs}`, undefined, signal),
    enabled,
    placeholderData: (prev) => prev,
  });
}
/** useHistogram loads the matching rows per time bucket for the same selection as useLogs. */
export function useHistogram(name: string, qs: string, enabled = true) {
  return useQuery({
    queryKey: keys.histogram(name, qs),
    queryFn: ({ signal }) => api<Histogram>('GET', `/engines/${enc(name)}/histogram?${qs}`, undefined, signal),
    enabled,
    placeholderData: (prev) => prev,
  });
}
export function useEngineMutations() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.engines });
  return {
    create: useMutation({ mutationFn: (s: Partial<EngineSpec>) => api<EngineInfo>('POST', '/engines', s), onSuccess: done }),
    update: useMutation({
      mutationFn: ({ name, patch }: { name: string; patch: Partial<EngineSpec> }) => api<EngineInfo>('PATCH', `/engines/${enc(name)}`, patch),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: ({ name, purge }: { name: string; purge: boolean }) => api<void>('DELETE', `/engines/${enc(name)}${purge ? '?purge=true' : ''}`),
      onSuccess: done,
    }),
    action: useMutation({
      mutationFn: ({ name, action }: { name: string; action: 'start' | 'stop' | 'restart' }) => api<unknown>('POST', `/engines/${enc(name)}/${action}`),
      onSuccess: done,
    }),
    deleteDay: useMutation({
      mutationFn: ({ name, date }: { name: string; date: string }) => api<void>('DELETE', `/engines/${enc(name)}/days/${enc(date)}`),
      onSuccess: (_d, v) => qc.invalidateQueries({ queryKey: keys.days(v.name) }),
    }),
  };
}

// --- system and settings
export function useSystem() {
  return useQuery({ queryKey: keys.system, queryFn: ({ signal }) => api<SystemInfo>('GET', '/system', undefined, signal), refetchInterval: 30000 });
}
/** The server certificate of TLS engines; it changes with the settings tls_cert_file / tls_key_file. */
export function useTLS() {
  return useQuery({ queryKey: keys.tls, queryFn: ({ signal }) => api<TLSInfo>('GET', '/tls', undefined, signal) });
}
export function useSettings() {
  return useQuery({ queryKey: keys.settings, queryFn: ({ signal }) => api<Settings>('GET', '/settings', undefined, signal) });
}
export function useSaveSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (s: Settings) => api<Settings>('PUT', '/settings', s),
    onSuccess: (data) => {
      if (data && typeof data === 'object') qc.setQueryData(keys.settings, data);
      void qc.invalidateQueries({ queryKey: keys.tls }); // tls_cert_file / tls_key_file
      return qc.invalidateQueries({ queryKey: keys.settings });
    },
  });
}

// --- alerts (docs/alerts.md). Firing state, counts and history change on the server by
// themselves: those lists poll.
export const ALERT_POLL_MS = 4000;

export function useAlertChannels() {
  return useQuery({ queryKey: keys.alertChannels, queryFn: ({ signal }) => api<Channel[]>('GET', '/alerts/channels', undefined, signal) });
}
export function useChannelDeliveries(name: string, limit = 100) {
  return useQuery({
    queryKey: keys.deliveries(name),
    queryFn: ({ signal }) => api<Delivery[]>('GET', `/alerts/channels/${enc(name)}/deliveries?limit=${limit}`, undefined, signal),
    refetchInterval: ALERT_POLL_MS,
  });
}
export function useChannelMutations() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.alertChannels });
  return {
    create: useMutation({ mutationFn: (c: ChannelIn) => api<Channel>('POST', '/alerts/channels', c), onSuccess: done }),
    update: useMutation({
      mutationFn: ({ name, body }: { name: string; body: ChannelIn }) => api<Channel>('PUT', `/alerts/channels/${enc(name)}`, body),
      onSuccess: done,
    }),
    remove: useMutation({ mutationFn: (name: string) => api<void>('DELETE', `/alerts/channels/${enc(name)}`), onSuccess: done }),
    test: useMutation({
      mutationFn: (name: string) => api<ChannelTestResult>('POST', `/alerts/channels/${enc(name)}/test`),
      onSettled: (_d, _e, name) => qc.invalidateQueries({ queryKey: keys.deliveries(name) }),
    }),
  };
}
export function useAlertRules() {
  return useQuery({ queryKey: keys.alertRules, queryFn: ({ signal }) => api<Rule[]>('GET', '/alerts/rules', undefined, signal), refetchInterval: ALERT_POLL_MS });
}
export function useRuleMutations() {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: keys.alerts });
  return {
    create: useMutation({ mutationFn: (r: RuleIn) => api<Rule>('POST', '/alerts/rules', r), onSuccess: done }),
    update: useMutation({
      mutationFn: ({ name, body }: { name: string; body: RuleIn }) => api<Rule>('PUT', `/alerts/rules/${enc(name)}`, body),
      onSuccess: done,
    }),
    remove: useMutation({ mutationFn: (name: string) => api<void>('DELETE', `/alerts/rules/${enc(name)}`), onSuccess: done }),
  };
}
/** useFiring lists the rules firing now; the engines list and page show a badge from it. */
export function useFiring() {
  return useQuery({ queryKey: keys.firing, queryFn: ({ signal }) => api<Firing[]>('GET', '/alerts/firing', undefined, signal), refetchInterval: ALERT_POLL_MS });
}
/** useAlertHistory loads fired alerts, newest first; qs holds limit, rule and engine. */
export function useAlertHistory(qs: string) {
  return useQuery({
    queryKey: keys.alertHistory(qs),
    queryFn: ({ signal }) => api<AlertEvent[]>('GET', `/alerts/history?${qs}`, undefined, signal),
    refetchInterval: ALERT_POLL_MS,
    placeholderData: (prev) => prev,
  });
}
