/**
 * @module A form that calls the API: one submit at a time, and its error shown in the form, in words.
 */
import { type Child, errorMessage, h, notice } from './dom.ts';

export interface ApiFormSpec {
  class: string;
  submit: string;
  fields: Child[];
  /** Below the status line (hints). */
  after?: Child[];
  /** Runs on submit; may fill `status` with its result. A throw shows as the error. */
  action: (status: HTMLElement) => Promise<void>;
  onError?: () => void;
}

export function apiForm(spec: ApiFormSpec): HTMLFormElement {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary' }, spec.submit);
  const submit = async (event: Event) => {
    event.preventDefault();
    button.disabled = true;
    status.replaceChildren();
    try {
      await spec.action(status);
    } catch (error) {
      status.replaceChildren(notice(errorMessage(error), 'error'));
      spec.onError?.();
    } finally {
      button.disabled = false;
    }
  };
  return h(
    'form',
    { class: `card ${spec.class}`, onsubmit: submit },
    ...spec.fields,
    button,
    status,
    ...(spec.after ?? []),
  );
}
