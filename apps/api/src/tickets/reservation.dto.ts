import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';

export class CreateReservationDto {
  @ApiProperty()
  @IsUUID()
  ticketId!: string;

  @ApiProperty({ example: 'PSU-450W' })
  @Matches(/^[A-Z0-9][A-Z0-9-]{1,63}$/, { message: 'partNumber: A-Z, 0-9 and -' })
  partNumber!: string;

  @ApiProperty({ minimum: 1, maximum: 1000 })
  @IsInt()
  @Min(1)
  @Max(1000)
  qty!: number;

  @ApiProperty({
    description:
      'Unique per request: a retry returns the first result (200). Keys starting with "ticket:" are the platform\'s own.',
  })
  @IsString()
  @Length(1, 200)
  // The platform keys its own bookings `ticket:<id>:…`; a client must not be able to take them.
  @Matches(/^(?!ticket:)/, { message: 'idempotencyKey: keys starting with "ticket:" are reserved' })
  idempotencyKey!: string;
}

export class ReleaseReservationDto {
  @ApiProperty({ example: 'not needed: fixed by firmware reset' })
  @IsString()
  @Length(1, 500)
  reason!: string;
}
