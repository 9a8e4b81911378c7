// The publish state in a word and a colour, so the sidebar and the Publish page say the same.
import type { StatusView } from '../../src/admin/api.ts';
import type { Tone } from './components/Badge.tsx';

export function publishState(s: StatusView): { tone: Tone; words: string } {
  if (!s.published) return { tone: 'grey', words: 'Not published' };
  switch (s.tunnel.state) {
    case 'online': return { tone: 'green', words: 'Online' };
    case 'connecting': return { tone: 'amber', words: 'Connecting' };
    case 'reconnecting': return { tone: 'amber', words: 'Reconnecting' };
    default: return { tone: 'red', words: 'Offline' };
  }
}
