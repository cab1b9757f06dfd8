import { isRFC3339 } from 'class-validator';
import { isPlainObject } from '../common/is-plain-object';
import { PAYLOAD_CLASSES, RocketPayloadDto } from './dto/rocket-message.dto';
import { MAX_TEXT, MessageType } from './rocket';
import { RocketMessage } from './rocket-message';

type Plain = Record<string, unknown>;

const text = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT;
const count = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** Exactly these own keys, nothing else (so `__proto__` or `constructor` never pass). */
const exactly = (o: Plain, n: number) => Object.keys(o).length === n;

/**
 * The common case, decided without class-validator: a message that plainly satisfies
 * every rule of the DTOs. It only ever *accepts*; anything else, including anything
 * merely unusual, returns null and goes through class-validator, which stays the one
 * authority on what is wrong and how to say it. A property test checks that every
 * message this accepts, class-validator accepts too, with the same result.
 */
export function fastAccept(value: unknown): RocketMessage | null {
  if (!isPlainObject(value) || !exactly(value, 2)) return null;
  const { metadata: md, message: m } = value;
  if (!isPlainObject(md) || !exactly(md, 4) || !isPlainObject(m)) return null;
  const { channel, messageNumber, messageTime, messageType } = md;
  if (
    !text(channel) ||
    !count(messageNumber) ||
    messageNumber < 1 ||
    typeof messageTime !== 'string' ||
    !isRFC3339(messageTime) ||
    typeof messageType !== 'string' ||
    !Object.hasOwn(PAYLOAD_CLASSES, messageType)
  ) {
    return null;
  }
  let ok: boolean;
  switch (messageType as MessageType) {
    case 'RocketLaunched':
      ok = exactly(m, 3) && text(m.type) && count(m.launchSpeed) && text(m.mission);
      break;
    case 'RocketSpeedIncreased':
    case 'RocketSpeedDecreased':
      ok = exactly(m, 1) && count(m.by);
      break;
    case 'RocketExploded':
      ok = exactly(m, 1) && text(m.reason);
      break;
    case 'RocketMissionChanged':
      ok = exactly(m, 1) && text(m.newMission);
      break;
    default:
      ok = false;
  }
  if (!ok) return null;
  const Payload = PAYLOAD_CLASSES[messageType as MessageType] as new () => RocketPayloadDto;
  return {
    channel,
    number: messageNumber,
    time: messageTime,
    type: messageType as MessageType,
    payload: Object.assign(new Payload(), m),
  };
}
