// The settings window's frame: the admin token (from the settings URL), one live event stream,
// the sidebar and the page the address names (#/servers, #/access …). Pages get what they share
// through AppContext; each page loads its own data from the admin API.
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { StatusView } from '../../src/admin/api.ts';
import { AdminClient, ApiFailure } from './api.ts';
import { AppContext, type AppState } from './app-context.ts';
import { LiveEvents, type Connection } from './events.ts';
import { forgetToken, saveToken, takeToken } from './token.ts';
import { Dot } from './components/Badge.tsx';
import { publishState } from './publish-state.ts';
import { clock } from './format.ts';
import { ServersPage } from './pages/ServersPage.tsx';
import { AccessPage } from './pages/AccessPage.tsx';
import { UsersPage } from './pages/UsersPage.tsx';
import { PublishPage } from './pages/PublishPage.tsx';
import { ActivityPage } from './pages/ActivityPage.tsx';
import { TokenPage } from './pages/TokenPage.tsx';
import { LeaveDialog } from './components/LeaveDialog.tsx';
import type { Unsaved } from './unsaved.ts';

const PAGES = {
  servers: { title: 'Servers', Page: ServersPage },
  access: { title: 'Access', Page: AccessPage },
  users: { title: 'Users', Page: UsersPage },
  publish: { title: 'Publish', Page: PublishPage },
  activity: { title: 'Activity', Page: ActivityPage },
} as const;
type PageName = keyof typeof PAGES;


function pageFromHash(): PageName {
  const name = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return name in PAGES ? (name as PageName) : 'servers';
}

export function App() {
  const [token, setToken] = useState(() => takeToken());
  const [refused, setRefused] = useState(false);
  const onRefused = useCallback(() => { forgetToken(); setRefused(true); }, []);
  if (!token || refused) {
    return <TokenPage expired={refused} onToken={(t) => { saveToken(t); setRefused(false); setToken(t); }} />;
  }
  return <Connected key={token} token={token} onRefused={onRefused} />;
}

function Connected({ token, onRefused }: { token: string; onRefused(): void }) {
  const client = useMemo(() => new AdminClient(token), [token]);
  const events = useMemo(() => new LiveEvents(client.eventsUrl()), [client]);
  const [status, setStatus] = useState<StatusView>();
  const [connection, setConnection] = useState<Connection>({ state: 'connecting' });
  const [epoch, setEpoch] = useState(0);
  const [page, setPage] = useState<PageName>(pageFromHash);
  const [asking, setAsking] = useState<{ what: string[]; answer(go: boolean): void }>();
  const dirty = useRef(new Map<string, boolean>());
  const unsaved = useMemo<Unsaved>(() => ({
    set: (what, isDirty) => { if (isDirty) dirty.current.set(what, true); else dirty.current.delete(what); },
    list: () => [...dirty.current.keys()],
    confirmDiscard: (what = [...dirty.current.keys()]) => (what.length === 0 ? Promise.resolve(true)
      : new Promise<boolean>((resolve) => setAsking({ what, answer: (go) => { setAsking(undefined); if (go) for (const w of what) dirty.current.delete(w); resolve(go); } }))),
  }), []);

  useEffect(() => {
    // Another page (a link, Back): with unsaved changes, stay where we are and ask first.
    const onHash = () => {
      const next = pageFromHash();
      if (next === page) return;
      if (!unsaved.list().length) return setPage(next);
      history.replaceState(null, '', `#/${page}`);
      void unsaved.confirmDiscard().then((go) => { if (go) location.hash = `#/${next}`; });
    };
    // Reloading or closing the window: the browser's own question.
    const onUnload = (e: BeforeUnloadEvent) => { if (unsaved.list().length) e.preventDefault(); };
    window.addEventListener('hashchange', onHash);
    window.addEventListener('beforeunload', onUnload);
    return () => { window.removeEventListener('hashchange', onHash); window.removeEventListener('beforeunload', onUnload); };
  }, [page, unsaved]);
  useEffect(() => { document.title = `${PAGES[page].title} — MCP Publish`; }, [page]);

  useEffect(() => {
    const offStatus = events.on('status', setStatus);
    // Who waits is part of the status, but a person's arrival or decision is its own event.
    const refreshStatus = () => { client.status().then(setStatus, () => {}); };
    const offApproval = events.on('approval', refreshStatus);
    const offUsers = events.on('users', refreshStatus);
    const refused = (e: unknown) => { if (e instanceof ApiFailure && e.code === 'forbidden') onRefused(); };
    const offWatch = events.watch((c) => {
      setConnection(c);
      // The stream dropped: a refusal means the core came back with another token (or the link
      // is stale); anything else is the core being away, and the stream is tried again.
      if (c.state === 'reconnecting') client.status().then(() => {}, refused);
      // Back after a loss: everything shown is loaded again (the core may have restarted).
      if (c.state === 'open' && c.lostAt) { setEpoch((n) => n + 1); refreshStatus(); }
    });
    events.start();
    client.status().then(setStatus, refused);
    return () => { offStatus(); offApproval(); offUsers(); offWatch(); events.stop(); };
  }, [client, events, onRefused]);

  const app: AppState = { client, events, status, unsaved, epoch };
  const stale = connection.state === 'reconnecting';
  const { Page } = PAGES[page];

  return (
    <AppContext.Provider value={app}>
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <div className="layout">
        <aside className="sidebar">
          <div className="brand">
            <img src="./favicon.svg" alt="" width="28" height="28" />
            <span>MCP Publish</span>
          </div>
          <nav aria-label="Settings">
            <ul>
              {(Object.keys(PAGES) as PageName[]).map((name) => (
                <li key={name}>
                  <a href={`#/${name}`} aria-current={name === page ? 'page' : undefined} className={name === page ? 'active' : ''}>
                    <span>{PAGES[name].title}</span>
                    <NavExtra name={name} status={status} />
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <SidebarStatus status={status} stale={stale} />
        </aside>
        <main id="main" tabIndex={-1}>
          <ConnectionBanner connection={connection} onRetry={() => events.retryNow()} />
          <div className={stale ? 'is-stale' : ''} inert={stale}>
            <Page />
          </div>
        </main>
      </div>
      {asking && <LeaveDialog what={asking.what} onStay={() => asking.answer(false)} onDiscard={() => asking.answer(true)} />}
    </AppContext.Provider>
  );
}

function NavExtra({ name, status }: { name: PageName; status?: StatusView }): ReactNode {
  if (name === 'users' && status?.pending) return <span className="nav-count" aria-label={`${status.pending} waiting`}>{status.pending}</span>;
  if (name === 'publish' && status) {
    const { tone, words } = publishState(status);
    return <span className="nav-state"><Dot tone={tone} /><span className="visually-hidden">{words}</span></span>;
  }
  return null;
}

function SidebarStatus({ status, stale }: { status?: StatusView; stale: boolean }) {
  if (stale) return <div className="sidebar-status"><div><Dot tone="red" /> MCP Publish is not answering</div></div>;
  if (!status) return <div className="sidebar-status">Connecting…</div>;
  const running = status.state === 'running';
  const p = publishState(status);
  return (
    <div className="sidebar-status">
      <div><Dot tone={running ? 'green' : 'red'} /> Gateway {running ? 'running' : 'stopped'}</div>
      <div><Dot tone={p.tone} /> {p.words}</div>
    </div>
  );
}

/** After this long away, the core is taken to have stopped rather than to be restarting. */
const GONE_AFTER_MS = 15_000;

function ConnectionBanner({ connection, onRetry }: { connection: Connection; onRetry(): void }) {
  // A first connect takes milliseconds: say nothing unless it takes a while. A countdown ticks.
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (connection.state === 'open' && !connection.lostAt) return;
    const t = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(t);
  }, [connection]);
  if (connection.state === 'connecting') {
    return null;
  }
  if (connection.state === 'open') {
    if (!connection.lostAt || now - connection.at > 6000) return null;
    return <div className="banner banner-ok connection" role="status">Reconnected: MCP Publish is back, and this window shows its current state.</div>;
  }
  const wait = Math.min(10, Math.max(0, Math.ceil((connection.retryAt - now) / 1000)));
  const gone = now - connection.lostAt > GONE_AFTER_MS;
  return (
    <div className="banner banner-error connection" role="status">
      <strong>{gone ? 'MCP Publish is not running.' : 'MCP Publish is not answering: it may be restarting.'}</strong>
      <p>
        {gone ? 'Start it again (from its icon, or mcp-publish serve); this window reconnects by itself when it is back.' : 'This window reconnects by itself.'}
        {' '}What it shows is greyed out: it is as it was at {clock(connection.lostAt)} and may be out of date.
      </p>
      <p>
        {wait > 0 ? `Trying again in ${wait} s (attempt ${connection.attempt + 1}).` : 'Trying again…'}
        {' '}<button type="button" className="link" onClick={onRetry}>Try now</button>
      </p>
    </div>
  );
}
