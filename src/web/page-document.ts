/** What a page of the gateway is made of: the document around it is the same for every page. */
export interface PageParts {
  readonly title: string;
  /** Assets of `web/` (by their `WebAssets.url`). */
  readonly scripts: readonly string[];
  readonly styles: readonly string[];
  /** Handed to the page's script as JSON (`<script type="application/json" id="page-data">`). */
  readonly data: unknown;
  /** Shown before the script has run, and instead of the page without JavaScript. */
  readonly fallback: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** JSON that may sit inside a `<script>` element: no `<` can close it. */
function scriptJson(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * A page of the gateway: a static document whose script renders it from the embedded data and
 * keeps it up to date, so that serving it costs no more than writing bytes out.
 */
export function renderPageDocument(parts: PageParts): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(parts.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
${parts.styles.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n')}
<script type="application/json" id="page-data">${scriptJson(parts.data)}</script>
${parts.scripts.map((src) => `<script type="module" src="${escapeHtml(src)}"></script>`).join('\n')}
</head>
<body>
<main id="page">${parts.fallback}</main>
</body>
</html>
`;
}
