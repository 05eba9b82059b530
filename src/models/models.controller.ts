import {
  ConflictException,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
  Param,
  Post,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ModelSwapError } from '../classification/model-requests.js';
import { ModelNotFoundError } from '../classification/model-catalog.js';
import type { ModelComparison } from './model-comparison.js';
import { ModelComparisonSchema, ModelsOverviewSchema } from './models-schemas.js';
import { ModelChoiceNotRecordedError, ModelsService, type ModelsOverview } from './models.service.js';

const NAME_PARAMETER = { name: 'name', description: 'A folder of MODELS_DIR.', example: 'line-3-2026-12' };

/** The HTTP answer to a failed change of models: the models in use keep running in every case. */
function refusal(error: unknown): HttpException {
  if (error instanceof ModelNotFoundError) return new NotFoundException(error.message);
  if (error instanceof ModelChoiceNotRecordedError) return new InternalServerErrorException(error.message);
  if (error instanceof ModelSwapError) {
    if (error.reason === 'disabled') return new ConflictException(error.message);
    if (error.reason === 'unavailable') return new ServiceUnavailableException(error.message);
    return new UnprocessableEntityException(error.message);
  }
  return new InternalServerErrorException((error as Error).message);
}

async function answer(change: Promise<ModelsOverview>): Promise<ModelsOverview> {
  try {
    return await change;
  } catch (error) {
    throw refusal(error);
  }
}

@ApiTags('models')
@Controller('api/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOperation({
    summary: 'The models of MODELS_DIR, which one is active, which one shadows it, and what a rollback activates',
  })
  @ApiOkResponse({ type: ModelsOverviewSchema })
  @Header('Cache-Control', 'no-store')
  list(): Promise<ModelsOverview> {
    return this.models.overview();
  }

  @Get('compare')
  @ApiOperation({
    summary: 'The models compared on the images of the index',
    description:
      'For each active model and the shadow model beside it: how often they agree, and on the images a ' +
      'person reviewed, the accuracy and recall per label of each; then each model alone on every reviewed ' +
      'image it classified.',
  })
  @ApiOkResponse({ type: ModelComparisonSchema })
  @Header('Cache-Control', 'no-store')
  compare(): ModelComparison {
    return this.models.compare();
  }

  @Delete('shadow')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stops shadow mode' })
  @ApiOkResponse({ type: ModelsOverviewSchema })
  stopShadow(): Promise<ModelsOverview> {
    return answer(this.models.setShadow(null));
  }

  @Get(':name/report')
  @ApiOperation({ summary: "A model's report (Markdown)" })
  @ApiParam(NAME_PARAMETER)
  @ApiNotFoundResponse({ description: 'No such model, or it has no report.md.' })
  @Header('Content-Type', 'text/markdown; charset=utf-8')
  async report(@Param('name') name: string): Promise<string> {
    try {
      return await this.models.report(name);
    } catch (error) {
      throw refusal(error);
    }
  }

  @Post(':name/activate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Makes a model the active one, without a restart',
    description:
      'The classifier loads it beside the model at work, which goes on classifying until every worker has ' +
      'it; no transfer waits. Each image record names the model that classified it. The choice is recorded ' +
      'in MODELS_DIR/active.json and survives a restart; a rollback is activating `previous`.',
  })
  @ApiParam(NAME_PARAMETER)
  @ApiOkResponse({ type: ModelsOverviewSchema })
  @ApiNotFoundResponse({ description: 'No such model.' })
  @ApiConflictResponse({ description: 'Analysis is disabled.' })
  @ApiUnprocessableEntityResponse({ description: 'The model does not load: the active one stays.' })
  @ApiServiceUnavailableResponse({ description: 'The classifier process is restarting: try again.' })
  activate(@Param('name') name: string): Promise<ModelsOverview> {
    return answer(this.models.activate(name));
  }

  @Post(':name/shadow')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Starts a model classifying beside the active one (shadow mode)',
    description:
      "Its verdicts are recorded in each image's sidecar (`shadow`), never pushed to the cameras nor published.",
  })
  @ApiParam(NAME_PARAMETER)
  @ApiOkResponse({ type: ModelsOverviewSchema })
  @ApiNotFoundResponse({ description: 'No such model.' })
  @ApiUnprocessableEntityResponse({ description: 'The model does not load, or it is the active one.' })
  @ApiServiceUnavailableResponse({ description: 'The classifier process is restarting: try again.' })
  startShadow(@Param('name') name: string): Promise<ModelsOverview> {
    return answer(this.models.setShadow(name));
  }
}
