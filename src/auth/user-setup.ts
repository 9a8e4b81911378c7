// A person's own values for a server's `userEnv` (DESIGN §4 step 4): saving what the setup page
// sent (secrets to the SecretStore, never to logs), and the one-time links of the `reconfigure`
// tool that open the same page outside a sign-in.
import express, { type Express, type Request, type Response } from 'express';
import { isStdioServer, type ServerConfig, type UserEnvField } from '../config/schema.ts';
import type { StateStore } from '../state/state-store.ts';
import type { InteractionDeps } from './interactions.ts';
import { errorPage, keptIn, sendPage, setupPage, type SetupField } from './pages.ts';
import { SETUP_LINKS } from './revocation.ts';


/** The fields a server asks each user for (none for HTTP servers). */
export function fieldsOf(config: ServerConfig | undefined): UserEnvField[] {
  return config && isStdioServer(config) ? config.userEnv : [];
}

/** The setup page's view of the fields, with which ones the user has set. */
export async function setupFieldsOf(d: InteractionDeps, server: string, user: string): Promise<SetupField[]> {
  const fields = fieldsOf(d.servers()[server]);
  const set = new Set(await d.userEnv.setFields(server, user, fields));
  return fields.map((f) => ({ name: f.name, label: f.label ?? f.name, description: f.description, secret: f.secret, optional: f.optional, isSet: set.has(f.name) }));
}

/** Saves what the setup page sent; resolves with what to tell the person when something is missing. */
export async function saveSetup(d: InteractionDeps, server: string, user: string, body: Record<string, unknown>): Promise<string | undefined> {
  const fields = fieldsOf(d.servers()[server]);
  const input: Record<string, string> = {};
  for (const f of fields) {
    const v = typeof body[f.name] === 'string' ? (body[f.name] as string).trim() : '';
    // An empty field keeps what is set (placeholders say so); it never clears a secret by accident.
    if (v) input[f.name] = v;
  }
  const have = new Set(await d.userEnv.setFields(server, user, fields));
  const missing = fields.filter((f) => !f.optional && !input[f.name] && !have.has(f.name));
  if (missing.length) return `Please fill in ${missing.map((f) => f.label ?? f.name).join(', ')}.`;
  await d.userEnv.save(server, user, fields, input);
  d.logger.info({ server, user, fields: Object.keys(input) }, 'user settings saved');
  d.onUserEnvSaved?.(server, user);
  return undefined;
}

/** One-time links from the `reconfigure` tool: the link itself is the credential (15 minutes). */
export function mountSetupLinks(app: Express, d: InteractionDeps): void {
  const form = express.urlencoded({ extended: false, limit: '32kb' });
  const expired = (res: Response) => sendPage(res, errorPage('This link has expired', 'Ask your app for a new one (the reconfigure tool).').html, 404);

  app.get('/setup/:token', async (req: Request, res: Response) => {
    const token = String(req.params.token);
    const link = await d.state.get<{ server: string; user: string }>(SETUP_LINKS, token);
    if (!link || !d.users.isActive(link.user)) return expired(res);
    sendPage(res, setupPage({ server: link.server, action: `/setup/${encodeURIComponent(token)}`, fields: await setupFieldsOf(d, link.server, link.user), keptIn: keptIn(d.userEnv.secretsKind) }));
  });

  app.post('/setup/:token', form, async (req: Request, res: Response) => {
    const token = String(req.params.token);
    const link = await d.state.get<{ server: string; user: string }>(SETUP_LINKS, token);
    if (!link || !d.users.isActive(link.user)) return expired(res);
    const error = await saveSetup(d, link.server, link.user, req.body ?? {});
    if (error) {
      return sendPage(res, setupPage({ server: link.server, action: `/setup/${encodeURIComponent(token)}`, fields: await setupFieldsOf(d, link.server, link.user), error, keptIn: keptIn(d.userEnv.secretsKind) }), 400);
    }
    await d.state.delete(SETUP_LINKS, token);
    sendPage(res, setupPage({ server: link.server, action: '', fields: [], done: true }));
  });
}

