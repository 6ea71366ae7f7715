// The open TCP connections of an engine (GET /engines/:name/connections): peer, since,
// messages and bytes, refreshed every 5 s. Shown only for TCP engines.
import { Card, CardContent, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Connection } from '../api/types';
import { formatBytes, formatCount, formatTimeInZone } from '../common/format';
import { QueryView, ScrollBox } from '../common/ui';

const connectionsKey = (n: string) => ['engines', n, 'connections'] as const;

function useConnections(name: string) {
  return useQuery({
    queryKey: connectionsKey(name),
    queryFn: ({ signal }) => api<Connection[]>('GET', `/engines/${encodeURIComponent(name)}/connections`, undefined, signal),
    refetchInterval: 5000,
  });
}

export function ConnectionsCard({ name, timeZone }: { name: string; timeZone: string }) {
  const conns = useConnections(name);
  return (
    <Card variant="outlined">
      <CardContent>
        <Typography variant="subtitle1" component="h2" gutterBottom>
          Open connections
        </Typography>
        <QueryView q={conns}>
          {(list) => (
            <ScrollBox>
              <Table size="small" aria-label="Open connections">
                <TableHead>
                  <TableRow>
                    <TableCell>Peer</TableCell>
                    <TableCell>Since</TableCell>
                    <TableCell align="right">Messages</TableCell>
                    <TableCell align="right">Bytes</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {list.map((c) => (
                    <TableRow key={`${c.peer}-${c.since}`}>
                      <TableCell>{c.peer}</TableCell>
                      <TableCell>{formatTimeInZone(c.since, timeZone)}</TableCell>
                      <TableCell align="right">{formatCount(c.messages)}</TableCell>
                      <TableCell align="right">{formatBytes(c.bytes)}</TableCell>
                    </TableRow>
                  ))}
                  {list.length === 0 && (
                    <TableRow>
                      <TableCell colSpan={4}>No open connection.</TableCell>
                    </TableRow>
                  )}
                </TableBody>
              </Table>
            </ScrollBox>
          )}
        </QueryView>
      </CardContent>
    </Card>
  );
}
