import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ImageFilterQuery } from '../api/image-queries.js';

/** Images on the page unless `?count=` says otherwise, and the most it shows. */
export const DEFAULT_COUNT = 48;
export const MAX_COUNT = 500;

/** `GET /images?count=&device=&verdict=` */
export class GalleryQuery extends ImageFilterQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_COUNT)
  count: number = DEFAULT_COUNT;
}
