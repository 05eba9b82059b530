import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable, type OnModuleInit } from '@nestjs/common';

/** The repository's `web/` folder (from dist/src/web/ or src/web/ alike). */
export const WEB_ASSETS_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** One asset, read once at start-up. */
export interface WebAsset {
  readonly name: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong validator of the content, so browsers revalidate cheaply. */
  readonly etag: string;
}

/**
 * The scripts and style sheets of the gateway's pages, from `web/`, held in memory and served at
 * `/assets/<name>`: one place for every page's front end. Pages link them through `url`, which
 * carries a content hash so that a new version is fetched at once.
 */
@Injectable()
export class WebAssets implements OnModuleInit {
  private readonly assets = new Map<string, WebAsset>();

  constructor(private readonly directory: string = WEB_ASSETS_DIR) {}

  async onModuleInit(): Promise<void> {
    for (const name of await readdir(this.directory)) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (!contentType) continue;
      const body = await readFile(join(this.directory, name));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      this.assets.set(name, { name, body, contentType, etag });
    }
  }

  get(name: string): WebAsset | undefined {
    return this.assets.get(name);
  }

  /** The address a page links an asset by. */
  url(name: string): string {
    const asset = this.assets.get(name);
    if (!asset) throw new Error(`no web asset ${name} in ${this.directory}`);
    return `/assets/${name}?v=${asset.etag.slice(1, 9)}`;
  }
}
