import { Transform } from 'class-transformer';
import { IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { Setting } from './setting.decorator.js';
import { parseInteger } from './setting-values.js';
import { ClassificationSettings } from './classification-settings.js';

/** Settings: where the verdicts go besides the camera: MQTT and the webhook. */
export class DeliverySettings extends ClassificationSettings {
  @Setting({
    accepts: 'letters, digits, dots, dashes and underscores, at most 64 (empty: the host name)',
    description: 'Names this gateway in MQTT topics, its MQTT client id and the results it publishes.',
  })
  @Matches(/^[0-9A-Za-z._-]{0,64}$/)
  GATEWAY_ID = '';

  @Setting({
    accepts: 'an mqtt:// or mqtts:// URL (empty: off)',
    description:
      'MQTT broker the analysed results are published to (QoS 1, through the durable outbox under ' +
      'STORAGE_DIR/.outbox). Empty: no MQTT.',
  })
  @Matches(/^(mqtts?:\/\/[^\s/]+(\/.*)?)?$/)
  MQTT_URL = '';

  @Setting({ accepts: 'a string', description: 'User name for the MQTT broker (empty: none).' })
  @IsString()
  MQTT_USERNAME = '';

  @Setting({ accepts: 'a string', description: 'Password for the MQTT broker (empty: none).' })
  @IsString()
  MQTT_PASSWORD = '';

  @Setting({
    accepts: 'a file path (empty: the system CAs)',
    description: 'PEM file of the certificate authorities an mqtts:// broker is checked against.',
  })
  @IsString()
  MQTT_CA_FILE = '';

  @Setting({
    accepts: 'MQTT topic levels without wildcards, at most 128 characters',
    description:
      'First levels of every topic: <prefix>/devices/<device>/result, <prefix>/devices/<device>/state, ' +
      '<prefix>/gateway/<gateway id>/status.',
  })
  @Matches(/^[^+#/\s](?:[^+#\s]*[^+#/\s])?$/)
  @MaxLength(128)
  MQTT_TOPIC_PREFIX = 'cable-inspector';

  @Setting({
    accepts: 'an integer from 65536 to 1073741824',
    description:
      'Largest size of the outbox of results not yet delivered (MQTT and webhook); past it the oldest are ' +
      'dropped, counted and logged.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(64 * 1024)
  @Max(1024 ** 3)
  MQTT_OUTBOX_MAX_BYTES = 16 * 1024 ** 2;

  @Setting({
    accepts: 'an http:// or https:// URL (empty: off)',
    description:
      'Every analysed result is POSTed there as JSON (the MQTT payload), in order, retried from the outbox ' +
      'until answered 2xx. Empty: no webhook.',
  })
  @Matches(/^(https?:\/\/[^\s/]+(\/\S*)?)?$/)
  RESULT_WEBHOOK_URL = '';

  @Setting({
    accepts: 'an integer from 100 to 600000',
    description: 'How long one webhook request may take before it counts as failed and is retried.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(100)
  @Max(600_000)
  RESULT_WEBHOOK_TIMEOUT_MS = 10_000;

  @Setting({
    accepts: 'an integer from 10 to 600000',
    description:
      'First wait before reconnecting to the MQTT broker or retrying the webhook; it doubles at each failure.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(10)
  @Max(600_000)
  DELIVERY_RETRY_MIN_MS = 500;

  @Setting({
    accepts: 'an integer from 10 to 3600000',
    description: 'Longest wait between two MQTT connection attempts or two webhook retries.',
  })
  @Transform(parseInteger)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  DELIVERY_RETRY_MAX_MS = 30_000;
}
