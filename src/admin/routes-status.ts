// Admin routes for the tray: the status (gateway, tunnel, each server's URLs), the publish
// toggle, and the running upstreams with their stderr.
import { AdminError, type AdminDeps, type Routes } from './routing.ts';
import { statusView, upstreamView } from './views.ts';
import { tunnelProblem } from './tunnel-words.ts';

export function statusRoutes({ publisher, health }: AdminDeps): Routes {
  return {
    'GET /api/status': async () => statusView(publisher, health),

    'POST /api/publish': async () => {
      if (publisher.status().state !== 'running') throw new AdminError(409, 'not_running', 'the gateway is not running');
      try {
        await publisher.publish();
      } catch (e) {
        // One message with a next step (the status says the same); the tunnel's words stay in the log.
        const problem = tunnelProblem(publisher.currentConfig.publish, { state: 'offline', reason: (e as Error).message });
        throw new AdminError(502, 'publish_failed', problem ? `${problem.title}. ${problem.next}` : `the public URL could not be opened: ${(e as Error).message}`);
      }
      return statusView(publisher, health);
    },

    'POST /api/unpublish': async () => {
      if (publisher.status().state !== 'running') throw new AdminError(409, 'not_running', 'the gateway is not running');
      await publisher.unpublish();
      return statusView(publisher, health);
    },

    'GET /api/upstreams': async () => publisher.pool.list().map((u) => upstreamView(publisher, u)),

    'GET /api/upstreams/:key/stderr': async ({ params }) => {
      const text = publisher.pool.stderr(params.key!);
      if (text === undefined) throw new AdminError(404, 'not_found', 'no such running upstream (it may have stopped)');
      return text;
    },
  };
}
