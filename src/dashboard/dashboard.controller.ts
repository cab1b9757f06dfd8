import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { jsonErrorResponse } from '../common/error-response.dto';
import type { EdgeResponse } from '../http/edge-types';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '../common/domain-errors';
import { HttpSettings } from '../http/http.settings';
import { DIMENSIONS } from '../stream-analysis/post';

/** The page's files, read once: the page itself and uPlot from node_modules. */
const uplot = join(require.resolve('uplot/package.json'), '..', 'dist');
const ASSETS: Record<string, { path: string; type: string }> = {
  'dashboard.js': { path: join(__dirname, 'page', 'dashboard.js'), type: 'text/javascript' },
  'dashboard.css': { path: join(__dirname, 'page', 'dashboard.css'), type: 'text/css' },
  'uPlot.iife.min.js': { path: join(uplot, 'uPlot.iife.min.js'), type: 'text/javascript' },
  'uPlot.min.css': { path: join(uplot, 'uPlot.min.css'), type: 'text/css' },
};
const ASSET_NAMES = Object.keys(ASSETS);

/**
 * The live page at `/` and `/dashboard`: every module on one screen, polling the JSON API
 * and following `/ws`. Static files only (no build step); the assets are a fixed list, so
 * no request path ever reaches the file system.
 */
@ApiTags('operations')
@Controller()
export class DashboardController {
  /**
   * The page, with what it needs to know filled in once: the dimensions the stream panel
   * asks about, and whether API keys are on (the live feed then needs one).
   */
  private readonly page: string;

  constructor(http: HttpSettings) {
    this.page = readFileSync(join(__dirname, 'page', 'index.html'), 'utf8')
      .replace('{{DIMENSIONS}}', DIMENSIONS.join(','))
      .replace('{{KEYS}}', http.apiKeys.length > 0 ? 'on' : 'off');
  }

  private readonly assets = new Map(
    Object.entries(ASSETS).map(([name, a]) => [
      name,
      { body: readFileSync(a.path, 'utf8'), type: a.type },
    ]),
  );

  @Get(['', 'dashboard'])
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @ApiProduces('text/html')
  @ApiOperation({
    summary: 'The live dashboard page',
    description:
      'One HTML page showing every module moving: latency percentiles, the api-metrics ' +
      'chart (the last 10 minutes, then live over /ws), the rockets table, the request ' +
      'counter and stream analysis. A module that is off says so in its panel.',
  })
  @ApiOkResponse({
    description: 'The page.',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  dashboard(): string {
    return this.page;
  }

  @Get('dashboard/assets/:name')
  @ApiOperation({
    summary: "A file of the dashboard page (its script, its styles, uPlot's)",
    description: `One of: ${ASSET_NAMES.map((n) => `\`${n}\``).join(', ')}; anything else is 404.`,
  })
  @ApiParam({ name: 'name', description: 'The file name.', enum: ASSET_NAMES })
  @ApiProduces('text/javascript', 'text/css')
  @ApiOkResponse({
    description: 'The file.',
    content: {
      'text/javascript': { schema: { type: 'string' } },
      'text/css': { schema: { type: 'string' } },
    },
  })
  @ApiNotFoundResponse(jsonErrorResponse(404, 'No such file.', "No dashboard asset 'x.js'"))
  asset(@Param('name') name: string, @Res({ passthrough: true }) res: EdgeResponse): string {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundError(`No dashboard asset '${name}'`);
    res.header('Content-Type', `${asset.type}; charset=utf-8`);
    res.header('Cache-Control', 'public, max-age=3600');
    return asset.body;
  }
}
