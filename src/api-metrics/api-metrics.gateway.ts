import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { ApiMetricsSettings } from './api-metrics.settings';
import { CLOSE_POLICY, LiveFeed } from './live-feed';

/**
 * `/ws`: the live stream of records. Clients only listen; what they send is ignored, and
 * a message over 1 KiB closes the connection (ws's maxPayload).
 */
@WebSocketGateway({ path: '/ws', maxPayload: 1024 })
export class ApiMetricsGateway implements OnGatewayConnection {
  constructor(
    private readonly live: LiveFeed,
    private readonly config: ApiMetricsSettings,
  ) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    if (!this.config.API_METRICS_ENABLED) {
      socket.close(CLOSE_POLICY, 'api-metrics is disabled (API_METRICS_ENABLED=false)');
      return;
    }
    this.live.subscribe(socket, new URL(request.url ?? '/', 'http://localhost').searchParams);
  }
}
