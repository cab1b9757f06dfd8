import { ValidateBy, ValidationOptions, buildMessage } from 'class-validator';

/** A positive integer that JSON numbers carry exactly: 1 … Number.MAX_SAFE_INTEGER. */
export function IsPositiveSafeInteger(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPositiveSafeInteger',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'number' && Number.isSafeInteger(value) && value > 0,
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be a positive integer no larger than ${Number.MAX_SAFE_INTEGER}`,
          options,
        ),
      },
    },
    options,
  );
}
