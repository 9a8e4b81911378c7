// Shown without a (valid) admin token: how to open the settings properly, and a field to paste
// the token by hand (it is in admin.json in the app-data folder while MCP Publish runs).
import { useState } from 'react';
import { Field } from '../components/Field.tsx';

export function TokenPage({ expired, onToken }: { expired: boolean; onToken(token: string): void }) {
  const [token, setToken] = useState('');
  return (
    <main className="token-page" id="main">
      <div className="card token-card">
        <div className="brand brand-large">
          <img src="./favicon.svg" alt="" width="36" height="36" />
          <span>MCP Publish</span>
        </div>
        <h1>{expired ? 'This settings link has expired' : 'Open the settings from MCP Publish'}</h1>
        <p>
          {expired
            ? 'MCP Publish was restarted, so the link this window was opened with no longer works.'
            : 'The settings open with a link that carries a one-time key for this computer.'}
          {' '}Open <strong>Settings</strong> from the MCP Publish icon in the system tray or menu bar, or use the
          {' '}<em>Settings</em> link that <code>mcp-publish serve</code> prints.
        </p>
        <form onSubmit={(e) => { e.preventDefault(); if (token.trim()) onToken(token.trim()); }}>
          <Field label="Admin token" hint={<>Or paste the <code>token</code> from <code>admin.json</code> in the MCP Publish data folder.</>}>
            {(p) => <input {...p} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />}
          </Field>
          <button type="submit" className="btn btn-primary" disabled={!token.trim()}>Open settings</button>
        </form>
      </div>
    </main>
  );
}
