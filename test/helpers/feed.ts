import { encodeMetricsData } from '../../src/api-metrics/metrics-datagram';
import { MetricsUdpListener } from '../../src/api-metrics/metrics-udp.listener';
import type { TestApp } from './test-app';
import { udpSender } from './udp';

/** Launches one rocket through the API: message 1 of its channel. */
export async function launchRocket(
  t: TestApp,
  channel: string,
  launch: { type?: string; launchSpeed?: number; mission?: string } = {},
): Promise<void> {
  const { response } = await t.client.POST('/messages', {
    body: {
      metadata: {
        channel,
        messageNumber: 1,
        messageTime: '2026-12-01T12:00:00Z',
        messageType: 'RocketLaunched',
      },
      message: { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS', ...launch },
    },
  });
  if (response.status !== 202) throw new Error(`launch of ${channel}: ${response.status}`);
}

/** Sends one seed-protocol MetricsData datagram (time 0: "now") to the app's UDP port. */
export async function sendApiRecord(
  t: TestApp,
  record: { route: string; methodByte: number; statusCode: number; responseTimeMs: number },
): Promise<void> {
  const sender = await udpSender();
  try {
    await sender.send(
      encodeMetricsData({ sequence: 1, timestamp: 0 }, record),
      t.app.get(MetricsUdpListener).port as number,
    );
  } finally {
    sender.close();
  }
}
