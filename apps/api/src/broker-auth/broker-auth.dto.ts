import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { GO_AUTH_RESPONSE_MODES } from './broker-auth.rules';
import type { GoAuthResponseMode } from './broker-auth.rules';

/** MQTT-3.1.1 1.5.3: a UTF-8 string field is at most 65,535 bytes. */
const MQTT_STRING = 65_535;

/** A form post (go-auth `http_params_mode form`) carries numbers as text: `acc=1`. */
const numeric = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^[0-9]{1,5}$/.test(value) ? Number(value) : value;

/** What each go-auth request may carry in its query string (the URI set in mosquitto.conf). */
export class GoAuthQuery {
  @ApiPropertyOptional({
    description:
      'API token of role device-service (RFC 6750 2.3), for go-auth, which cannot send headers',
  })
  @IsOptional()
  @IsString()
  access_token?: string;

  @ApiPropertyOptional({
    enum: GO_AUTH_RESPONSE_MODES,
    default: 'json',
    description: "go-auth's http_response_mode; json also serves status",
  })
  @IsOptional()
  @IsIn(GO_AUTH_RESPONSE_MODES)
  response?: GoAuthResponseMode;
}

export class GoAuthUserDto {
  @ApiProperty({ example: 'gd-0101' }) @IsString() @MaxLength(MQTT_STRING) username!: string;
  @ApiProperty({ example: 'dev_…' }) @IsString() @MaxLength(MQTT_STRING) password!: string;
  @ApiProperty({ example: 'gd-0101' }) @IsString() @MaxLength(MQTT_STRING) clientid!: string;
}

export class GoAuthSuperuserDto {
  @ApiProperty({ example: 'gd-0101' }) @IsString() @MaxLength(MQTT_STRING) username!: string;
}

export class GoAuthAclDto {
  @ApiProperty({ example: 'gd-0101' }) @IsString() @MaxLength(MQTT_STRING) username!: string;
  @ApiProperty({ example: 'gd-0101' }) @IsString() @MaxLength(MQTT_STRING) clientid!: string;
  @ApiProperty({ example: 'or/st-anne/gown_dispenser/gd-0101/heartbeat' })
  @IsString()
  @MaxLength(MQTT_STRING)
  topic!: string;

  @ApiProperty({ enum: [1, 2, 3, 4], description: '1 read, 2 write, 3 readwrite, 4 subscribe' })
  @Transform(numeric)
  @IsIn([1, 2, 3, 4])
  acc!: 1 | 2 | 3 | 4;
}

export class EmqxAuthnDto {
  @ApiProperty({ example: 'gd-0101' }) @IsString() @MaxLength(MQTT_STRING) username!: string;
  @ApiProperty({ example: 'dev_…' }) @IsString() @MaxLength(MQTT_STRING) password!: string;
  @ApiProperty({ example: 'gd-0101' }) @IsString() @MaxLength(MQTT_STRING) clientid!: string;
}

export class EmqxAuthzDto {
  @ApiProperty({ example: 'gd-0101' }) @IsString() @MaxLength(MQTT_STRING) username!: string;
  @ApiProperty({ example: 'gd-0101' }) @IsString() @MaxLength(MQTT_STRING) clientid!: string;
  @ApiProperty({ example: 'or/st-anne/gown_dispenser/gd-0101/heartbeat' })
  @IsString()
  @MaxLength(MQTT_STRING)
  topic!: string;

  @ApiProperty({ enum: ['publish', 'subscribe'] })
  @IsIn(['publish', 'subscribe'])
  action!: 'publish' | 'subscribe';

  @ApiPropertyOptional({ enum: [0, 1, 2], description: "EMQX's ${qos}, sent as text or number" })
  @IsOptional()
  @Transform(numeric)
  @IsIn([0, 1, 2])
  qos?: 0 | 1 | 2;
}
