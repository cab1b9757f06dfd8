import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { ValidationError, ValidatorOptions, validateSync } from 'class-validator';
import { PAYLOAD_CLASSES, RocketMessageDto, RocketPayload } from './dto/rocket-message.dto';
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
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BadRequestException(['body must be a JSON object {metadata, message}']);
    }
    const envelope = plainToInstance(RocketMessageDto, value);
    const envelopeErrors = messages(validateSync(envelope, OPTIONS));
    if (envelopeErrors.length > 0) throw new BadRequestException(envelopeErrors);
    const { metadata } = envelope;
    const payload = plainToInstance(
      PAYLOAD_CLASSES[metadata.messageType] as new () => RocketPayload,
      envelope.message,
    );
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
