import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { VERSION } from './common/version.js';
import { LiveModule } from './live/live.module.js';
import { ModelsModule } from './models/models.module.js';
import { ReviewModule } from './review/review.module.js';
import { ApiModule } from './api/api.module.js';

/** Where the OpenAPI document is served: the browsable page, and the JSON itself. */
export const OPENAPI_PATH = 'api/docs';
export const OPENAPI_JSON_PATH = 'api/docs/openapi.json';

/** Serves the OpenAPI document of every `/api` route at /api/docs (and its JSON). */
export function serveOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('cable-inspector')
    .setDescription(
      'Stored images and their verdicts, the cameras seen, counts over time, and a live stream of events. ' +
        'Photos are at /images/<imageId>.jpg.',
    )
    .setVersion(VERSION)
    .build();
  // Made on the first request, not at start-up: a restarted gateway answers its cameras sooner.
  let document: OpenAPIObject | undefined;
  const documentOnce = (): OpenAPIObject =>
    (document ??= SwaggerModule.createDocument(app, config, {
      include: [ApiModule, LiveModule, ModelsModule, ReviewModule],
    }));
  SwaggerModule.setup(OPENAPI_PATH, app, documentOnce, { jsonDocumentUrl: OPENAPI_JSON_PATH });
}
