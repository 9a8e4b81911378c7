// Changes not saved yet (issue 12 #5): a page or form says it holds some (`useUnsaved`), and the
// frame asks before anything would discard them: another page, a reload or closing the window,
// or the form's own Cancel (`confirmDiscard`).
import { useEffect } from 'react';
import { useApp } from './app-context.ts';

export interface Unsaved {
  /** Marks (or unmarks) `what` ("the sign-in settings", "the server github") as holding unsaved changes. */
  set(what: string, dirty: boolean): void;
  /** What holds unsaved changes now, in the order marked. */
  list(): string[];
  /** Asks the owner whether to discard them; resolves true to go on. Resolves true at once when nothing is unsaved. */
  confirmDiscard(what?: string[]): Promise<boolean>;
}

/** Registers `what` as unsaved while `dirty`; the mark goes when the component does. */
export function useUnsaved(what: string, dirty: boolean): void {
  const { unsaved } = useApp();
  useEffect(() => {
    unsaved.set(what, dirty);
    return () => unsaved.set(what, false);
  }, [unsaved, what, dirty]);
}
