// Servers: every configured MCP server with its state, running processes and MCP URLs; adding
// (pasted JSON or by hand), editing, deleting and test-starting them.
import { useEffect, useState } from 'react';
import { useApp, useEvent } from '../app-context.ts';
import { useCoalesced, useLoad } from '../use-load.ts';
import { Empty } from '../components/Empty.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { ImportPanel } from '../servers/ImportPanel.tsx';
import { ServerCard } from '../servers/ServerCard.tsx';
import { ServerForm } from '../servers/ServerForm.tsx';

/** Processes start and stop without a status event: look again this often while the page shows. */
const POLL_MS = 5000;

export function ServersPage() {
  const { client, status } = useApp();
  const servers = useLoad(() => client.servers(), [client]);
  const [adding, setAdding] = useState<'paste' | 'form'>();
  const [editing, setEditing] = useState<string>();
  const reloadSoon = useCoalesced(servers.reload);
  useEvent('status', reloadSoon);
  useEvent('activity', reloadSoon);
  useEffect(() => {
    const t = window.setInterval(() => { if (document.visibilityState === 'visible') servers.reload(); }, POLL_MS);
    return () => window.clearInterval(t);
  }, [servers.reload]);

  const list = servers.data ?? [];
  const names = list.map((s) => s.name);
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Servers</h1>
          <p className="lead">The MCP servers on this computer that MCP Publish serves. Each one has its own MCP URL.</p>
        </div>
        {!adding && list.length > 0 && <button type="button" className="btn btn-primary" onClick={() => { setAdding('paste'); setEditing(undefined); }}>Add server</button>}
      </header>

      {status?.state === 'stopped' && <div className="banner banner-warn" role="status">The gateway is stopped: servers have no URL until it runs again.</div>}
      <ErrorBanner error={servers.error} title="Could not load the servers" />

      {adding === 'paste' && <ImportPanel onImported={servers.reload} onWriteByHand={() => setAdding('form')} onClose={() => setAdding(undefined)} />}
      {adding === 'form' && <ServerForm existing={names} onSaved={() => { setAdding(undefined); servers.reload(); }} onCancel={() => setAdding(undefined)} />}

      {servers.data && list.length === 0 && !adding && (
        <div className="card">
          <Empty title="No servers yet">
            <p>Add the servers you already use: paste the <code>mcpServers</code> block from Claude Desktop, Cursor or VS Code.</p>
            <button type="button" className="btn btn-primary" onClick={() => setAdding('paste')}>Add server</button>
          </Empty>
        </div>
      )}
      {!servers.data && !servers.error && <p className="muted">Loading…</p>}

      <div className="stack">
        {list.map((s) => editing === s.name
          ? <ServerForm key={s.name} server={s} existing={names} onSaved={() => { setEditing(undefined); servers.reload(); }} onCancel={() => setEditing(undefined)} />
          : <ServerCard key={s.name} server={s} published={Boolean(status?.published)} onEdit={() => { setEditing(s.name); setAdding(undefined); }} onChanged={servers.reload} />)}
      </div>
    </div>
  );
}
