// The token prompt: one password input, shown when a data request is refused (401).
// Concurrent refusals share one prompt.

let pending: Promise<string> | null = null;

export function askToken(rejected: boolean, why?: string): Promise<string> {
  if (pending) return pending;
  const dialog = document.getElementById('token-dialog') as HTMLDialogElement;
  const form = dialog.querySelector('form') as HTMLFormElement;
  const input = dialog.querySelector('input') as HTMLInputElement;
  const note = dialog.querySelector('.token-note') as HTMLElement;
  note.textContent =
    why ??
    (rejected
      ? 'The token was refused. Enter a valid API token.'
      : 'This service needs an API token (LINEAGE_API_TOKEN or one from `lineage token create`).');
  input.value = '';
  pending = new Promise<string>((resolve) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      dialog.close();
      pending = null;
      resolve(token);
    };
  });
  dialog.showModal();
  input.focus();
  return pending;
}
