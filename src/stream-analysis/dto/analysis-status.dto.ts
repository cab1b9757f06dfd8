import { ApiProperty } from '@nestjs/swagger';

/** GET /analysis/status: the consumer's connection and what is retained. */
export class AnalysisStatusDto {
  @ApiProperty({ example: 'https://stream.upfluence.co/stream' }) url!: string;
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
  @ApiProperty({ type: String, nullable: true }) connectedSince!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastEventAt!: string | null;
  @ApiProperty({ type: 'integer' }) eventsReceived!: number;
  @ApiProperty({ type: 'integer' }) postsReceived!: number;
  @ApiProperty({ type: 'integer', description: 'Events skipped: not JSON, bad shape, oversized.' })
  parseErrors!: number;
  @ApiProperty({ type: 'integer' }) reconnects!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: 'integer' }) postsRetained!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Arrival of the oldest post kept.' })
  oldestRetainedArrival!: string | null;
  @ApiProperty({ type: 'integer', description: 'Posts dropped early because of STREAM_MAX_POSTS.' })
  evictedForMemory!: number;
  @ApiProperty({ type: 'integer' }) bytes!: number;
}
