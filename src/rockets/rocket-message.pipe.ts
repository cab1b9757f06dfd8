import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { ValidationError, ValidatorOptions, validateSync } from 'class-validator';
import {
  MetadataDto,
  PAYLOAD_CLASSES,
  RocketMessageDto,
  RocketPayload,
} from './dto/rocket-message.dto';
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
    if (!isPlainObject(value)) {
      throw new BadRequestException(['body must be a JSON object {metadata, message}']);
    }
    // Instances are filled by hand rather than by class-transformer: every field is a
    // JSON primitive, and plainToInstance was a third of this pipe's time.
    const envelope = Object.assign(new RocketMessageDto(), value);
    if (isPlainObject(value.metadata)) {
      envelope.metadata = Object.assign(new MetadataDto(), value.metadata);
    }
    const envelopeErrors = messages(validateSync(envelope, OPTIONS));
    if (envelopeErrors.length > 0) throw new BadRequestException(envelopeErrors);
    const { metadata } = envelope;
    const Payload = PAYLOAD_CLASSES[metadata.messageType] as new () => RocketPayload;
    const payload = Object.assign(new Payload(), envelope.message);
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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
