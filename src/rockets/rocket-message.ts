import type { MessageType, RocketPayload } from './rocket';

/** A validated message, as the store sees it. */
export interface RocketMessage {
  channel: string;
  number: number;
  time: string;
  type: MessageType;
  payload: RocketPayload;
}

/**
 * A 32-bit FNV-1a fingerprint of everything that makes a message what it is (type, time
 * and payload fields in a fixed order), so a redelivered copy matches its original and a
 * different message reusing a number does not, without keeping the message itself.
 */
export function fingerprint(m: RocketMessage): number {
  const p = m.payload as unknown as Record<string, unknown>;
  let text = `${m.type}\u0000${m.time}`;
  switch (m.type) {
    case 'RocketLaunched':
      text += `\u0000${String(p.type)}\u0000${String(p.launchSpeed)}\u0000${String(p.mission)}`;
      break;
    case 'RocketSpeedIncreased':
    case 'RocketSpeedDecreased':
      text += `\u0000${String(p.by)}`;
      break;
    case 'RocketExploded':
      text += `\u0000${String(p.reason)}`;
      break;
    case 'RocketMissionChanged':
      text += `\u0000${String(p.newMission)}`;
      break;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
