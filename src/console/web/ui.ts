/** Page-wide bits: toasts and the confirm dialog a card button can ask for. */
import { h } from './dom.js';

export type ToastKind = 'success' | 'info' | 'warning' | 'error';

export function toast(text: string, kind: ToastKind | string = 'info'): void {
  const host = document.getElementById('toasts');
  if (!host) return;
  const known = ['success', 'info', 'warning', 'error'].includes(kind) ? kind : 'info';
  const el = h('div', { class: `toast toast-${known}`, role: 'status' }, text);
  host.append(el);
  setTimeout(() => el.remove(), 6000);
}

/** Resolves true when the user confirms; the dialog is modal, as Feishu's is. */
export function confirmDialog(title: string, text: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm' },
      h('h3', {}, title),
      h('p', {}, text),
      h(
        'form',
        { method: 'dialog' },
        h('button', { value: 'cancel', class: 'btn btn-default' }, '取消 · Cancel'),
        h('button', { value: 'ok', class: 'btn btn-primary' }, '确定 · OK'),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
