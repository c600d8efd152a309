// A modal dialog on the native <dialog>: focus stays inside while it is open, Escape closes it,
// and focus returns to what opened it.

import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

interface Props {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}

export function Dialog({ title, onClose, children }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const d = ref.current;
    if (d && !d.open) d.showModal();
    const first = d?.querySelector<HTMLElement>('[autofocus], input, textarea, select, button');
    first?.focus();
    return () => {
      if (d?.open) d.close();
      opener?.focus?.();
    };
  }, []);
  const onCancel = (ev: Event) => {
    ev.preventDefault();
    onClose();
  };
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" onCancel={onCancel} class="dialog">
      <h2 id="dialog-title">{title}</h2>
      {children}
    </dialog>
  );
}
