// "Leave without saving?": a modal dialog (the native <dialog>, so focus stays in it and Escape
// means Stay) naming what would be lost, with Stay focused first.
import { useEffect, useRef } from 'react';

export function LeaveDialog({ what, onStay, onDiscard }: { what: string[]; onStay(): void; onDiscard(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} className="leave-dialog" aria-labelledby="leave-title" aria-describedby="leave-body" onCancel={(e) => { e.preventDefault(); onStay(); }}>
      <h2 id="leave-title">Discard your changes?</h2>
      <p id="leave-body">You have not saved {what.join(' and ')}. If you go on, your changes are lost.</p>
      <div className="form-actions">
        <button type="button" className="btn btn-primary" onClick={onStay} autoFocus>Stay and keep editing</button>
        <button type="button" className="btn btn-danger-quiet" onClick={onDiscard}>Discard changes</button>
      </div>
    </dialog>
  );
}
