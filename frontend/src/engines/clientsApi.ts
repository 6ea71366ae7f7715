// TanStack Query hooks of an engine's clients (known senders) and purge jobs.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api } from '../api/client';
import { keys } from '../api/queries';
import type { ClientInfo, ClientSpec, EngineInfo, Job } from '../api/types';

const enc = encodeURIComponent;
const clientsKey = (n: string) => ['engines', n, 'clients'] as const;

export function useClients(name: string) {
  return useQuery({
    queryKey: clientsKey(name),
    queryFn: ({ signal }) => api<ClientInfo[]>('GET', `/engines/${enc(name)}/clients`, undefined, signal),
    refetchInterval: 10000,
  });
}

export function useClientMutations(name: string) {
  const qc = useQueryClient();
  const set = (list: ClientInfo[]) => qc.setQueryData(clientsKey(name), list);
  return {
    add: useMutation({ mutationFn: (c: ClientSpec) => api<ClientInfo[]>('POST', `/engines/${enc(name)}/clients`, c), onSuccess: set }),
    update: useMutation({
      mutationFn: ({ client, c }: { client: string; c: ClientSpec }) => api<ClientInfo[]>('PATCH', `/engines/${enc(name)}/clients/${enc(client)}`, c),
      onSuccess: set,
    }),
    replace: useMutation({ mutationFn: (cs: ClientSpec[]) => api<ClientInfo[]>('PUT', `/engines/${enc(name)}/clients`, cs), onSuccess: set }),
    remove: useMutation({
      mutationFn: ({ client, purge }: { client: string; purge: boolean }) =>
        api<{ job: Job } | undefined>('DELETE', `/engines/${enc(name)}/clients/${enc(client)}${purge ? '?purge=true' : ''}`),
      onSuccess: () => qc.invalidateQueries({ queryKey: clientsKey(name) }),
    }),
    acceptUnknown: useMutation({
      mutationFn: (on: boolean) => api<EngineInfo>('PATCH', `/engines/${enc(name)}`, { accept_unknown: on }),
      onSuccess: (e) => {
        qc.setQueryData(keys.engine(name), e);
        return qc.invalidateQueries({ queryKey: keys.engines });
      },
    }),
  };
}

/** useJob polls a background job until it is done or failed. */
export function useJob(id: string | null, onFinished?: (j: Job) => void) {
  const q = useQuery({
    queryKey: ['jobs', id],
    queryFn: ({ signal }) => api<Job>('GET', `/jobs/${enc(id ?? '')}`, undefined, signal),
    enabled: !!id,
    refetchInterval: (query) => (query.state.data?.state === 'running' || !query.state.data ? 500 : false),
  });
  const state = q.data?.state;
  useEffect(() => {
    if (q.data && state !== 'running') onFinished?.(q.data);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state]);
  return q;
}
