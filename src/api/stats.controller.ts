import { Controller, Get, Header, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { CLOCK, type Clock } from '../common/clock.js';
import { ResultsService } from '../results/results.service.js';
import { StatsSchema } from './api-schemas.js';
import { QUERY_VALIDATION } from './query-validation.js';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Longest window: the index rarely reaches further. */
const MAX_WINDOW_MS = 31 * 86_400_000;

class StatsQuery {
  @ApiPropertyOptional({ description: 'A duration: 30s, 15m, 1h, 7d (at most 31d).', default: '1h' })
  @IsOptional()
  @Matches(/^[1-9]\d{0,6}[smhd]$/, { message: 'window must be a duration such as 30s, 15m, 1h or 7d' })
  window: string = '1h';
}

function windowMs(window: string): number {
  return Math.min(MAX_WINDOW_MS, Number(window.slice(0, -1)) * UNIT_MS[window.slice(-1)]!);
}

@ApiTags('stats')
@Controller('api/stats')
export class StatsController {
  constructor(
    private readonly results: ResultsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Counts per verdict and per label over a window of time (by time stored)' })
  @ApiOkResponse({ type: StatsSchema })
  @Header('Cache-Control', 'no-store')
  stats(@Query(QUERY_VALIDATION) query: StatsQuery): StatsSchema {
    const untilMs = this.clock.now();
    const sinceMs = untilMs - windowMs(query.window);
    const verdicts = { pass: 0, defect: 0, uncertain: 0 };
    const statuses: Record<string, number> = { pending: 0, analysed: 0, undecodable: 0, unavailable: 0 };
    const labels: Record<string, number> = {};
    let images = 0;
    for (const { summary } of this.results.images.newest({ sinceMs })) {
      images++;
      statuses[summary.status] = (statuses[summary.status] ?? 0) + 1;
      if (summary.verdict !== null) verdicts[summary.verdict]++;
      if (summary.status === 'analysed' && summary.label !== null)
        labels[summary.label] = (labels[summary.label] ?? 0) + 1;
    }
    const oldest = this.results.images.oldestStoredAtMs;
    const full = this.results.images.size >= this.results.images.capacity;
    return {
      window: query.window,
      since: new Date(sinceMs).toISOString(),
      until: new Date(untilMs).toISOString(),
      complete: !full || (oldest !== undefined && oldest <= sinceMs),
      images,
      verdicts,
      statuses,
      labels,
    };
  }
}
