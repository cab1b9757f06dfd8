import { Expose } from 'class-transformer';
import { IsNotEmpty, IsString, IsUrl, ValidateIf } from 'class-validator';
import { DerivedSettings } from '../config/settings';

const ENDPOINT_RULES = {
  require_protocol: true,
  require_tld: false,
  allow_underscores: true,
  protocols: ['http', 'https'],
};

/**
 * OpenTelemetry tracing. Unlike the other groups these are read before Nest starts
 * (telemetry/start-tracing.ts), and they are the SDK's own standard variables: the SDK reads
 * them (and every other `OTEL_*` one) itself; here they are validated with the rest and
 * documented. Validated once at start with every other group (config/load-settings.ts).
 */
export class TelemetrySettings implements DerivedSettings {
  static readonly section = 'Tracing';

  /** Where spans go over OTLP (`/v1/traces` is appended for HTTP); empty = no tracing at all. */
  @Expose()
  @ValidateIf((s: TelemetrySettings) => s.OTEL_EXPORTER_OTLP_ENDPOINT !== '')
  @IsUrl(ENDPOINT_RULES, {
    message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, e.g. http://127.0.0.1:4318',
  })
  OTEL_EXPORTER_OTLP_ENDPOINT = '';

  /** The traces' own endpoint, used as given (no path appended); also turns tracing on. */
  @Expose()
  @ValidateIf((s: TelemetrySettings) => s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== '')
  @IsUrl(ENDPOINT_RULES, {
    message:
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL, e.g. http://127.0.0.1:4318/v1/traces',
  })
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = '';

  /** The `service.name` of every span. */
  @Expose() @IsString() @IsNotEmpty() OTEL_SERVICE_NAME = 'beacon';

  /** Whether spans are exported: an endpoint is set (derived once). */
  tracing = false;

  derive(): void {
    this.tracing =
      this.OTEL_EXPORTER_OTLP_ENDPOINT !== '' || this.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== '';
  }
}
