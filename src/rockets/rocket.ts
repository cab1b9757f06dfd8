/** The rockets domain: message types, payloads, statuses and list orders. DTOs implement these. */

export const MESSAGE_TYPES = [
  'RocketLaunched',
  'RocketSpeedIncreased',
  'RocketSpeedDecreased',
  'RocketExploded',
  'RocketMissionChanged',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Longest string any field may hold; keeps one message's memory bounded. */
export const MAX_TEXT = 200;

export interface RocketLaunched {
  type: string;
  launchSpeed: number;
  mission: string;
}

/** RocketSpeedIncreased and RocketSpeedDecreased. */
export interface SpeedChange {
  by: number;
}

export interface RocketExploded {
  reason: string;
}

export interface RocketMissionChanged {
  newMission: string;
}

export type RocketPayload = RocketLaunched | SpeedChange | RocketExploded | RocketMissionChanged;

export const ACCEPT_STATUSES = ['applied', 'buffered', 'duplicate', 'ignored'] as const;
export type AcceptStatus = (typeof ACCEPT_STATUSES)[number];

/** What a sender is told about its message. */
export interface MessageAccepted {
  channel: string;
  messageNumber: number;
  status: AcceptStatus;
}

export const ROCKET_STATUSES = ['active', 'exploded', 'pending'] as const;
export type RocketStatus = (typeof ROCKET_STATUSES)[number];

export const SORT_FIELDS = ['id', 'type', 'speed', 'mission', 'status', 'updatedAt'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

const BY_LOWER_CASE = new Map<string, string>(
  [...SORT_FIELDS, ...SORT_ORDERS].map((v) => [v.toLowerCase(), v]),
);

/**
 * The seed lowercases `sort` and `order` before matching (`DESC`, `Desc`, `updatedat`,
 * `SPEED`), so Beacon matches them in any case too and answers with its own spelling.
 * Anything else is returned as it came, for validation to refuse.
 */
export function canonicalSpelling(value: unknown): unknown {
  return typeof value === 'string' ? (BY_LOWER_CASE.get(value.toLowerCase()) ?? value) : value;
}
