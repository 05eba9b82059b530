import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CLOCK, type Clock } from '../common/clock.js';
import type { DeviceSummary } from '../results/device-registry.js';
import { ResultsService } from '../results/results.service.js';
import { DeviceListSchema } from './api-schemas.js';

@ApiTags('devices')
@Controller('api/devices')
export class DevicesController {
  constructor(
    private readonly results: ResultsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Every camera seen, with its counts per verdict and defect rates',
    description:
      'A camera is a device id at an address. Defect rate: defects among the images with a verdict, over ' +
      'the last hour and over the last 100 images.',
  })
  @ApiOkResponse({ type: DeviceListSchema })
  @Header('Cache-Control', 'no-store')
  list(): { devices: DeviceSummary[] } {
    return { devices: this.results.devices.summaries(this.clock.now()) };
  }
}
