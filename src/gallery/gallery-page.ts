import type { DeviceSummary } from '../results/device-registry.js';
import type { ImageSummary } from '../results/image-summary.js';
import { renderPageDocument } from '../web/page-document.js';

/** What the page's script (web/gallery.js) renders first, then keeps up to date from /api/events. */
export interface GalleryData {
  readonly images: readonly ImageSummary[];
  readonly devices: readonly DeviceSummary[];
  readonly filter: { readonly device: string | null; readonly verdict: string | null };
  /** How many images the page shows at most. */
  readonly count: number;
  readonly generatedAt: string;
  /** The live event the data is up to date with: the script's stream goes on from it. */
  readonly liveFrom: string;
}

/** The page of the newest images: the document, its assets, and the data its script starts from. */
export function renderGalleryPage(
  data: GalleryData,
  assets: { script: string; styles: readonly string[] },
): string {
  return renderPageDocument({
    title: 'cable-inspector: newest images',
    scripts: [assets.script],
    styles: assets.styles,
    data,
    fallback:
      `<h1>Newest images</h1><p>${data.images.length} image(s). This page needs JavaScript; ` +
      'the same data is at <a href="/api/images">/api/images</a>.</p>',
  });
}
