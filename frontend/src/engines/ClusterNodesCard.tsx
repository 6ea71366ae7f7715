// The engine's state on each ingest node of a cluster (GET /stats `nodes`, polled every 2 s);
// nothing on a single box.
import { Card, CardContent, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import Grid from '@mui/material/Grid';
import { useEngineStats } from '../api/queries';
import { formatCount, formatRate } from '../common/format';
import { ScrollBox, StateChip } from '../common/ui';

export function ClusterNodesCard({ name }: { name: string }) {
  const nodes = useEngineStats(name, true).data?.nodes;
  if (!nodes || nodes.length === 0) return null;
  return (
    <Grid size={12}>
      <Card variant="outlined">
        <CardContent>
          <Typography variant="subtitle1" component="h2" gutterBottom>
            Nodes
          </Typography>
          <ScrollBox>
            <Table size="small" aria-label="Nodes">
              <TableHead>
                <TableRow>
                  <TableCell>Node</TableCell>
                  <TableCell>Role</TableCell>
                  <TableCell>State</TableCell>
                  <TableCell align="right">In/s</TableCell>
                  <TableCell align="right">Received</TableCell>
                  <TableCell align="right">Stored</TableCell>
                  <TableCell align="right">Dropped</TableCell>
                  <TableCell align="right">Kernel drops</TableCell>
                  <TableCell align="right">Queue</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {nodes.map((n) => (
                  <TableRow key={n.node}>
                    <TableCell>{n.node}</TableCell>
                    <TableCell>{n.role}</TableCell>
                    <TableCell>
                      <StateChip state={n.state} title={n.reason} />
                    </TableCell>
                    <TableCell align="right">{formatRate(n.in_per_s)}</TableCell>
                    <TableCell align="right">{formatCount(n.received)}</TableCell>
                    <TableCell align="right">{formatCount(n.stored)}</TableCell>
                    <TableCell align="right">{formatCount(n.dropped)}</TableCell>
                    <TableCell align="right">{formatCount(n.kernel_drops)}</TableCell>
                    <TableCell align="right">{formatCount(n.queue_depth)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </ScrollBox>
        </CardContent>
      </Card>
    </Grid>
  );
}
