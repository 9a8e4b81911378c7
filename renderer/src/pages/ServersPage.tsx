// Servers: every configured MCP server with its state, running processes and MCP URLs; adding
// (pasted JSON or by hand), editing, deleting and test-starting them.
import { useEffect, useState } from 'react';
import type { ServerView } from '../../../src/admin/api.ts';
import { useApp, useEvent } from '../app-context.ts';
import { useCoalesced, useLoad } from '../use-load.ts';
import { Empty } from '../components/Empty.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { ImportPanel } from '../servers/ImportPanel.tsx';
import { ServerCard } from '../servers/ServerCard.tsx';
import { ServerForm } from '../servers/ServerForm.tsx';
import { PermissionsPanel } from '../servers/PermissionsPanel.tsx';

/** Processes start and stop without a status event: look again this often while the page shows. */
const POLL_MS = 5000;

export function ServersPage() {
  const { client, status, unsaved } = useApp();
  /** Opening another form closes the one open: ask first when it holds changes. */
  const then = (open: () => void) => () => { void unsaved.confirmDiscard().then((go) => { if (go) open(); }); };
  const servers = useLoad(() => client.servers(), [client]);
  const [adding, setAdding] = useState<'paste' | 'form'>();
  const [editing, setEditing] = useState<string>();
  const [tools, setTools] = useState<string>();
  const [saved, setSaved] = useState<{ name: string; added: boolean }>();
  const onSaved = (added: boolean) => (view: ServerView) => {
    setSaved({ name: view.name, added });
    if (added) setAdding(undefined); else setEditing(undefined);
    servers.reload();
  };
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
        {!adding && list.length > 0 && <button type="button" className="btn btn-primary" onClick={then(() => { setAdding('paste'); setEditing(undefined); setSaved(undefined); })}>Add server</button>}
      </header>

      {status?.state === 'stopped' && <div className="banner banner-warn" role="status">The gateway is stopped: servers have no URL until it runs again.</div>}
      <ErrorBanner error={servers.error} title="Could not load the servers" />

      {saved && (
        <div className="banner banner-ok" role="status">
          {saved.added ? <>Added <strong>{saved.name}</strong>. It is checked in the background; its card below says whether it starts.</> : <>Saved your changes to <strong>{saved.name}</strong>.</>}
          {' '}<button type="button" className="link" onClick={() => setSaved(undefined)}>Dismiss</button>
        </div>
      )}
      {adding === 'paste' && <ImportPanel onImported={servers.reload} onWriteByHand={() => setAdding('form')} onClose={() => setAdding(undefined)} />}
      {adding === 'form' && <ServerForm existing={names} onSaved={onSaved(true)} onCancel={() => setAdding(undefined)} />}

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
          ? <ServerForm key={s.name} server={s} existing={names} onSaved={onSaved(false)} onCancel={() => setEditing(undefined)} />
          : tools === s.name
            ? <PermissionsPanel key={s.name} server={s} onSaved={(view) => { setTools(undefined); setSaved({ name: view.name, added: false }); servers.reload(); }} onClose={() => setTools(undefined)} />
            : <ServerCard key={s.name} server={s} highlight={saved?.name === s.name} published={Boolean(status?.published)}
              onEdit={then(() => { setEditing(s.name); setTools(undefined); setAdding(undefined); setSaved(undefined); })}
              onPermissions={then(() => { setTools(s.name); setEditing(undefined); setAdding(undefined); setSaved(undefined); })}
              onChanged={servers.reload} />)}
      </div>
    </div>
  );
}
