import { ApiProperty } from '@nestjs/swagger';

/** GET /analysis/status: the consumer's connection and what is retained. */
export class AnalysisStatusDto {
  @ApiProperty({
    example: 'https://stream.upfluence.co/stream',
    description:
      'STREAM_URL; "hidden (…)" unless the caller has an API key (or, with API_KEYS off, is on loopback).',
  })
  url!: string;
  @ApiProperty({
    enum: ['disabled', 'connecting', 'connected', 'waiting', 'following', 'stopped'],
    description:
      '`following`: redis mode, another instance holds the upstream connection and this one ' +
      'folds the posts it appends.',
  })
  state!: string;
  @ApiProperty({
    description:
      'This instance holds the upstream connection: always in memory mode (when enabled); in ' +
      'redis mode, the one instance elected through the Redis lock.',
  })
  leader!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When the current upstream connection opened; null while not connected.',
  })
  connectedSince!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'When the last event arrived.' })
  lastEventAt!: string | null;
  @ApiProperty({ type: 'integer', description: 'SSE events received by this instance.' })
  eventsReceived!: number;
  @ApiProperty({ type: 'integer', description: 'Of those, the ones that were valid posts.' })
  postsReceived!: number;
  @ApiProperty({ type: 'integer', description: 'Events skipped: not JSON, bad shape, oversized.' })
  parseErrors!: number;
  @ApiProperty({ type: 'integer', description: 'Connections that ended and were made again.' })
  reconnects!: number;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the last connection ended or failed; null if none has. Hidden like `url`.',
  })
  lastError!: string | null;
  @ApiProperty({ type: 'integer', description: 'Posts kept (the last 24 h), on this instance.' })
  postsRetained!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Arrival of the oldest post kept.' })
  oldestRetainedArrival!: string | null;
  @ApiProperty({ type: 'integer', description: 'Posts dropped early because of STREAM_MAX_POSTS.' })
  evictedForMemory!: number;
  @ApiProperty({ type: 'integer', description: 'Memory the kept posts take, in bytes.' })
  bytes!: number;
  @ApiProperty({ type: 'integer', description: 'Live `/analysis` waits running on this instance.' })
  liveWaits!: number;
  @ApiProperty({
    type: 'integer',
    description: 'Live waits refused with 503 at STREAM_MAX_LIVE_WAITS since start.',
  })
  liveWaitsRefused!: number;
}
