/**
 * Clicks: on elements tagged `data-glimt-event="name"`, on outbound links (`data-outbound`)
 * and on links to files (`data-downloads`). One listener on window for all of them.
 */
import { send } from './page.ts';
import { data } from './settings.ts';

const click = (event: MouseEvent): void => {
  // Usually an element; the document or window when a script dispatches a click there.
  const target = event.target as Partial<Element>;
  const tagged = target.closest?.('[data-glimt-event]') as HTMLElement | null | undefined;
  const link = target.closest?.('a[href]') as HTMLAnchorElement | null | undefined;
  // A middle click (auxclick, button 1) opens a link too; a right click (2) does not.
  if (event.button < 2) {
    if (tagged) send(tagged.dataset.glimtEvent as string);
    const name =
      link &&
      // The common file types, few: each one costs bytes in every visitor's download.
      (data.downloads != null && /\.(pdf|zip|gz|dmg|exe|csv|(xls|doc|ppt)x?|mp[34])$/i.test(link.pathname)
        ? 'File Download'
        : data.outbound != null && link.host !== location.host && 'Outbound Link: Click');
    if (name) send(name, { props: { url: (link as HTMLAnchorElement).href } });
  }
};
addEventListener('click', click);
addEventListener('auxclick', click);
