/**
 * Random rocket histories and the state they must produce, shared by the unit property
 * test, the e2e launcher and the bench. The expected state is computed here by the most
 * direct reading of the rules (apply in number order, stop at the explosion), not by the
 * code under test.
 */
export interface WireMessage {
  metadata: { channel: string; messageNumber: number; messageTime: string; messageType: string };
  message: Record<string, unknown>;
}

export interface ExpectedRocket {
  id: string;
  type: string;
  speed: number;
  mission: string;
  status: 'active' | 'exploded';
  exploded: boolean;
  reason?: string;
  lastMessageNumber: number;
  launchedAt: string;
  updatedAt: string;
}

const TYPES = ['Falcon-9', 'Falcon-Heavy', 'Saturn-V', 'Electron'];
const MISSIONS = ['ARTEMIS', 'SHUTTLE_MIR', 'APOLLO', 'GEMINI', 'LUNA'];

/** One rocket: launch, then speed and mission changes, maybe an explosion, maybe more after it. */
export function rocketHistory(
  channel: string,
  length: number,
  random: () => number,
): WireMessage[] {
  const start = Date.UTC(2022, 1, 2, 19, 39, 5);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const out: WireMessage[] = [];
  const explodeAt = random() < 0.3 ? 2 + Math.floor(random() * (length - 1)) : Infinity;
  for (let n = 1; n <= length; n++) {
    const time = new Date(start + n * 1000).toISOString();
    let messageType: string;
    let message: Record<string, unknown>;
    if (n === 1) {
      messageType = 'RocketLaunched';
      message = {
        type: pick(TYPES),
        launchSpeed: Math.floor(random() * 1000),
        mission: pick(MISSIONS),
      };
    } else if (n === explodeAt) {
      messageType = 'RocketExploded';
      message = { reason: 'PRESSURE_VESSEL_FAILURE' };
    } else {
      const r = random();
      if (r < 0.4) {
        messageType = 'RocketSpeedIncreased';
        message = { by: Math.floor(random() * 5000) };
      } else if (r < 0.8) {
        messageType = 'RocketSpeedDecreased';
        message = { by: random() < 0.1 ? 0 : Math.floor(random() * 5000) };
      } else {
        messageType = 'RocketMissionChanged';
        message = { newMission: pick(MISSIONS) };
      }
    }
    out.push({ metadata: { channel, messageNumber: n, messageTime: time, messageType }, message });
  }
  return out;
}

export function expectedState(history: WireMessage[]): ExpectedRocket {
  const s = { speed: 0, exploded: false } as ExpectedRocket;
  for (const { metadata: m, message } of history) {
    s.id = m.channel;
    switch (m.messageType) {
      case 'RocketLaunched':
        s.type = message.type as string;
        s.speed = message.launchSpeed as number;
        s.mission = message.mission as string;
        s.launchedAt = m.messageTime;
        break;
      case 'RocketSpeedIncreased':
        s.speed += message.by as number;
        break;
      case 'RocketSpeedDecreased':
        s.speed = Math.max(0, s.speed - (message.by as number));
        break;
      case 'RocketMissionChanged':
        s.mission = message.newMission as string;
        break;
      case 'RocketExploded':
        s.exploded = true;
        s.reason = message.reason as string;
        break;
    }
    s.lastMessageNumber = m.messageNumber;
    s.updatedAt = m.messageTime;
    if (s.exploded) break;
  }
  s.status = s.exploded ? 'exploded' : 'active';
  return s;
}

/** Every message of every history, shuffled, with `dupRate` of them sent again at random places. */
export function shuffledWithDuplicates(
  histories: WireMessage[][],
  dupRate: number,
  random: () => number,
): WireMessage[] {
  const all = histories.flat();
  const dups = all.filter(() => random() < dupRate);
  const out = [...all, ...dups];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
