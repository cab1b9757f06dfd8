import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationError, ValidatorOptions, validateSync } from 'class-validator';
import {
  MetadataDto,
  PAYLOAD_CLASSES,
  RocketMessageDto,
  RocketPayloadDto,
} from './dto/rocket-message.dto';
import { isPlainObject } from '../common/is-plain-object';
import { fastAccept } from './fast-accept';
import { RocketMessage } from './rocket-message';

const OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
};

/** "metadata.messageNumber must be an integer number", as Nest's ValidationPipe words it. */
function messages(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => prefix + m),
    ...messages(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * Validates the envelope, then the payload against the class its `messageType` names
 * (class-validator cannot discriminate on a sibling's field). Any problem → 400 listing
 * every one of them; nothing reaches the store.
 */
@Injectable()
export class RocketMessagePipe implements PipeTransform<unknown, RocketMessage> {
  transform(value: unknown): RocketMessage {
    const quick = fastAccept(value);
    if (quick) return quick;
    if (!isPlainObject(value)) {
      throw new BadRequestException(['body must be a JSON object {metadata, message}']);
    }
    // Instances are filled by hand rather than by class-transformer: every field is a
    // JSON primitive, and plainToInstance was a third of this pipe's time.
    const envelope = fill(new RocketMessageDto(), value, '');
    if (isPlainObject(value.metadata)) {
      envelope.metadata = fill(new MetadataDto(), value.metadata, 'metadata.');
    }
    const envelopeErrors = messages(validateSync(envelope, OPTIONS));
    if (envelopeErrors.length > 0) throw new BadRequestException(envelopeErrors);
    const { metadata } = envelope;
    const Payload = PAYLOAD_CLASSES[metadata.messageType] as new () => RocketPayloadDto;
    const payload = fill(new Payload(), envelope.message as object, 'message.');
    const payloadErrors = messages(validateSync(payload, OPTIONS), 'message.');
    if (payloadErrors.length > 0) {
      throw new BadRequestException(
        payloadErrors.map((m) => `${m} (for messageType ${metadata.messageType})`),
      );
    }
    return {
      channel: metadata.channel,
      number: metadata.messageNumber,
      time: metadata.messageTime,
      type: metadata.messageType,
      payload,
    };
  }
}

/**
 * Object.assign, refusing the keys that would change what the instance *is*: an own
 * `__proto__` swaps its prototype, and an own `constructor` (null, say) crashed
 * class-validator's metadata lookup with a 500 (found by the fast-path property test).
 */
function fill<T extends object>(target: T, source: object, path: string): T {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    if (Object.hasOwn(source, key)) {
      throw new BadRequestException([`${path}property ${key} should not exist`]);
    }
  }
  return Object.assign(target, source);
}
