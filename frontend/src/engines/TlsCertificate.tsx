// The server certificate of TLS engines (GET /tls): its SHA-256 fingerprint with a copy
// button, so an operator can compare it with what a sender sees (docs/api.md, TLS).
import ContentCopy from '@mui/icons-material/ContentCopy';
import { Alert, Box, IconButton, Stack, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { useTLS } from '../api/queries';

export function TlsCertificate() {
  const tls = useTLS();
  const [copied, setCopied] = useState(false);
  if (tls.error) return <Alert severity="warning">Server certificate: {errorMessage(tls.error)}</Alert>;
  if (tls.isPending) return <Typography variant="body2">Loading the server certificate…</Typography>;
  const t = tls.data;
  const copy = () => {
    navigator.clipboard.writeText(t.fingerprint_sha256).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <Box data-testid="tls-certificate">
      <Typography variant="caption" color="text.secondary" component="div">
        Server certificate ({t.source === 'self-signed' ? 'self-signed' : 'from settings'}, {t.subject}, valid until {t.not_after.slice(0, 10)}), SHA-256
      </Typography>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Typography component="code" sx={{ fontFamily: 'monospace', fontSize: 12, wordBreak: 'break-all' }}>
          {t.fingerprint_sha256}
        </Typography>
        <Tooltip title={copied ? 'Copied' : 'Copy fingerprint'}>
          <IconButton aria-label="Copy fingerprint" size="small" onClick={copy}>
            <ContentCopy fontSize="small" />
          </IconButton>
        </Tooltip>
      </Stack>
    </Box>
  );
}
