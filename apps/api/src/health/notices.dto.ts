import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { ID_PATTERN } from '@orfleet/devices';

const ID = new RegExp(ID_PATTERN);

export class ListNoticesQuery {
  @ApiPropertyOptional({ description: "The site's notices" })
  @IsOptional()
  @Matches(ID, { message: 'siteId: a site id' })
  siteId?: string;

  @ApiPropertyOptional({ description: "One device's notices" })
  @IsOptional()
  @Matches(ID, { message: 'deviceId: a device id' })
  deviceId?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'Only open notices (true) or only cleared ones (false); both when absent',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'open: true or false' })
  open?: 'true' | 'false';

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'cursor: at most 200 characters' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit: a whole number from 1 to 1000' })
  @Min(1, { message: 'limit: a whole number from 1 to 1000' })
  @Max(1000, { message: 'limit: a whole number from 1 to 1000' })
  limit?: number;
}

export class DeviceNoticeView {
  @ApiProperty() id!: string;
  @ApiProperty() deviceId!: string;
  @ApiProperty() siteId!: string;
  @ApiProperty({ example: 'STOCK_EMPTY' }) code!: string;
  @ApiProperty({ example: 'The device has nothing left to dispense and needs refilling.' })
  description!: string;
  @ApiProperty({ description: 'First report of this spell' }) openedAt!: string;
  @ApiProperty({ description: 'Latest report counted on it' }) lastSeenAt!: string;
  @ApiProperty({ description: 'Reports counted while it was open' }) count!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When the stock was reported above empty again (or the device cleared the code)',
  })
  clearedAt!: string | null;
  @ApiProperty() open!: boolean;
}

export class DeviceNoticePageView {
  @ApiProperty({ type: [DeviceNoticeView] }) items!: DeviceNoticeView[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'cursor of the next page; null on the last',
  })
  nextCursor!: string | null;
}
