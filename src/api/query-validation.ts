import {
  BadRequestException,
  ValidationPipe,
  type ArgumentMetadata,
  type ValidationError,
} from '@nestjs/common';

/** The body of a 400 for query parameters that do not validate. */
export interface InvalidParametersBody {
  readonly statusCode: 400;
  readonly error: 'Bad Request';
  /** `invalid query parameter(s): limit, since` */
  readonly message: string;
  /** Each bad parameter with what is wrong with it. */
  readonly parameters: Readonly<Record<string, readonly string[]>>;
}

export function invalidParameters(parameters: Record<string, string[]>): BadRequestException {
  const body: InvalidParametersBody = {
    statusCode: 400,
    error: 'Bad Request',
    message: `invalid query parameter(s): ${Object.keys(parameters).join(', ')}`,
    parameters,
  };
  return new BadRequestException(body);
}

/**
 * Validates query parameters into their class (class-validator): values converted, unknown
 * parameters refused, and a 400 that names every bad parameter and says why. A request without
 * parameters gets the class's defaults without the validator's work (most page loads and polls).
 */
class QueryValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const empty = typeof value === 'object' && value !== null && Object.keys(value).length === 0;
    if (empty && metadata.type === 'query' && typeof metadata.metatype === 'function')
      return new (metadata.metatype as new () => unknown)();
    return super.transform(value, metadata);
  }
}

export const QUERY_VALIDATION = new QueryValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
  exceptionFactory: (errors: ValidationError[]) =>
    invalidParameters(
      Object.fromEntries(
        errors.map((error) => [
          error.property,
          Object.values(error.constraints ?? {}).map((text) =>
            text.replace(/^property (\S+) should not exist$/, '$1 is not a parameter of this request'),
          ),
        ]),
      ),
    ),
});
