/**
 * Errors services throw. They carry no HTTP knowledge; `ErrorFilter` maps each kind
 * to a status code in one place.
 */
export abstract class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends DomainError {}

/** The request is well-formed but breaks a rule that depends on configuration or state. */
export class InvalidArgumentError extends DomainError {}

/** A configured capacity (metrics, samples…) would be exceeded. */
export class LimitExceededError extends DomainError {}

/** The service cannot take this now; the client should retry after `retryAfterSeconds`. */
export class UnavailableError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The request body is larger than the service takes (BODY_LIMIT). */
export class PayloadTooLargeError extends DomainError {}

/** The request may not be served as addressed (a Host that is not allowed). */
export class ForbiddenError extends DomainError {}

/** The request needs an API key it did not present, or presented a wrong one. */
export class UnauthorizedError extends DomainError {}
